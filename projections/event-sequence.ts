import type { RecordedEvent } from '../events/envelope.ts';
import type { Change, Projection } from './projection.ts';

/**
 * The dense numbering of the global log. Positions are cursors (sparse on EventStoreDB); counting
 * needs a number that goes 1, 2, 3 in log order: the sequence. This projection assigns it, one
 * event after another, and keeps the mapping both ways. It is written by the one projection runner
 * that holds the lease, with the same position guard as every read model, so a second delivery
 * changes nothing, and a rebuild from the log gives every event the same sequence again.
 */

/** One event's place: looked up by position (the document id) or by sequence (indexed). */
export interface SequencedEvent {
  position: number;
  sequence: number;
  eventId: string;
}

/** The last event sequenced so far. */
export interface SequenceHead {
  position: number;
  sequence: number;
}

export const EVENT_SEQUENCE = 'event_sequence';
export const EVENT_SEQUENCE_HEAD = 'event_sequence_head';
export const SEQUENCE_HEAD_ID = 'head';

/** The document id of the event at `position`. */
export const sequenceKey = (position: number): string => String(position);

export const eventSequenceProjection: Projection = {
  name: 'event-sequence',
  version: 1,
  collections: [
    { name: EVENT_SEQUENCE, indexes: ['sequence'] },
    { name: EVENT_SEQUENCE_HEAD, indexes: [] },
  ],
  handles: 'every-event',
  async project(event: RecordedEvent, read): Promise<Change[]> {
    const head = await read.get<SequenceHead>(EVENT_SEQUENCE_HEAD, SEQUENCE_HEAD_ID);
    const sequence = (head?.sequence ?? 0) + 1;
    const entry: SequencedEvent = { position: event.position, sequence, eventId: event.metadata.eventId };
    const next: SequenceHead = { position: event.position, sequence };
    return [
      { collection: EVENT_SEQUENCE, op: 'put', id: sequenceKey(event.position), doc: entry },
      { collection: EVENT_SEQUENCE_HEAD, op: 'put', id: SEQUENCE_HEAD_ID, doc: next },
    ];
  },
};
