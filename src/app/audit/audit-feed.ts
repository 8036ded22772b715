import { canonicalEventBytes } from '../../../events/canonical.ts';
import type { EventMetadata, RecordedEvent } from '../../../events/envelope.ts';
import type { EventStore, LogPosition } from '../../ports/event-store.ts';
import type { EventSequence } from '../projecting/event-sequence.ts';

/** One line of the audit feed: an event as stored, where it sits, and its canonical bytes (base64). */
export interface AuditEntry {
  /** The store's cursor: pass the last one seen as `after` to continue. */
  position: LogPosition;
  /** The dense number in log order (1, 2, 3, ...): leaf `sequence - 1` of the log's tree. */
  sequence: number;
  streamName: string;
  revision: number;
  type: string;
  metadata: EventMetadata;
  /** Base64 of events/canonical.ts's bytes: data as stored, sealed parts sealed. */
  canonical: string;
}

/** A page of the feed: where it ends is known before a line is read, so it can go in a header. */
export interface AuditPage {
  /** The position to pass as `after` next: the page's last event, or `after` itself when the page is empty. */
  next: LogPosition;
  /** More events are numbered past this page already. */
  more: boolean;
  /** The page's lines, read from the store in batches as the consumer pulls them. */
  lines(): AsyncGenerator<string>;
}

/** Raised when `after` is neither START_OF_LOG nor the position of an event the sequence numbered. */
export class UnknownCursorError extends Error {
  override readonly name = 'UnknownCursorError';
}

export const AUDIT_PAGE_DEFAULT = 1000;
export const AUDIT_PAGE_MAX = 10_000;
const READ_BATCH = 250;

export function auditEntry(event: RecordedEvent, sequence: number): AuditEntry {
  return {
    position: event.position,
    sequence,
    streamName: event.streamName,
    revision: event.revision,
    type: event.type,
    metadata: event.metadata,
    canonical: Buffer.from(canonicalEventBytes(event)).toString('base64'),
  };
}

/**
 * The audit feed: events of the log after `after`, at most `limit`, each with its sequence. The
 * feed stops at the last event the event-sequence projection has numbered, so every line's sequence
 * is the one the projection gave it (counted on from `after`'s, never from positions); the rest
 * comes in a later page.
 */
export async function auditPage(deps: { eventStore: Pick<EventStore, 'readAll'>; sequence: Pick<EventSequence, 'sequenceOf' | 'positionOf' | 'head'> }, options: { after: LogPosition; limit: number }): Promise<AuditPage> {
  const { eventStore, sequence } = deps;
  const { after, limit } = options;
  const base = await sequence.sequenceOf(after);
  if (base === undefined) throw new UnknownCursorError(`after=${after} is not the position of an event in the log (use 0, or a position this feed listed)`);
  const head = await sequence.head();
  const lastSequence = Math.min(base + limit, head.sequence);
  const last = lastSequence === base ? after : await sequence.positionOf(lastSequence);
  if (last === undefined) throw new Error(`the event sequence has no event numbered ${lastSequence} below its head ${head.sequence}`);
  const count = lastSequence - base;
  return {
    next: last,
    more: lastSequence < head.sequence,
    async *lines() {
      let from = after;
      let numbered = base;
      while (numbered < lastSequence) {
        const page = await eventStore.readAll({ after: from, limit: Math.min(READ_BATCH, lastSequence - numbered) });
        if (page.length === 0) throw new Error(`the log ended at sequence ${numbered}, before ${lastSequence} the event sequence holds`);
        let text = '';
        for (const event of page) text += `${JSON.stringify(auditEntry(event, ++numbered))}\n`;
        from = page.at(-1)!.position;
        yield text;
      }
      if (numbered !== base + count || from !== last) throw new Error(`the audit page ended at position ${from}, not ${last}`);
    },
  };
}
