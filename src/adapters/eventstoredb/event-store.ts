import {
  ANY,
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  NO_STREAM,
  START,
  STREAM_EXISTS,
  StreamNotFoundError,
  WrongExpectedVersionError,
  excludeSystemEvents,
  jsonEvent,
  type AllStreamResolvedEvent,
  type AppendExpectedRevision,
  type JSONType,
  type Position,
  type ReadPosition,
  type ResolvedEvent,
} from '@eventstore/db-client';
import type { EventMetadata, NewEvent, RecordedEvent } from '../../../events/envelope.ts';
import {
  WrongExpectedRevisionError,
  type AppendResult,
  type EventStore,
  type ExpectedRevision,
  type SubscribeOptions,
  type Subscription,
} from '../../ports/event-store.ts';
import { guardAppend, type StoredEvent } from './append-guard.ts';
import { ServerTooOldError, logPosition, requireSupportedServer } from './server-version.ts';
import { STOP, readEach, type CancellableRead } from './streaming-read.ts';
import { followFeed } from './subscription-feed.ts';

const READ_PAGE = 500;
/** A read (one page of the log, or one stream) that takes longer than this is cancelled and fails. */
const DEFAULT_READ_DEADLINE_MS = 30_000;

/** The client keeps what the server says of itself behind a protected getter; the adapter reads it to refuse an old server. */
interface ClientCapabilities {
  readonly capabilities: Promise<{ serverVersion: string }>;
}

/**
 * EventStore on EventStoreDB (gRPC client). The global position is the event's commit position in
 * the transaction log: one number per event, strictly increasing, since the ledger appends each
 * batch as one implicit transaction (commit = prepare for every event in it). Needs a server
 * from 22.10 on, which returns positions on stream reads too: an older one is refused at its first
 * call (the version it reports), or at the first event it returns without a position.
 */
export class EventStoreDbEventStore implements EventStore {
  private readonly client: EventStoreDBClient;
  private readonly subscriptions = new Set<Subscription>();
  private readonly readDeadlineMs: number;
  private serverChecked: Promise<void> | undefined;

  constructor(connectionString: string, options: { readDeadlineMs?: number } = {}) {
    this.client = EventStoreDBClient.connectionString(connectionString);
    this.readDeadlineMs = options.readDeadlineMs ?? DEFAULT_READ_DEADLINE_MS;
  }

  async append(streamName: string, events: NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    if (events.length === 0) throw new Error('append needs at least one event');
    await this.supportedServer();
    // The server stores the same ids twice when sent at the stream's current revision: look first.
    if (expected !== 'no-stream') {
      const verdict = guardAppend(await this.lastEvents(streamName, events.length), events, expected);
      if (verdict.kind === 'repeat') return { nextExpectedRevision: verdict.revision, position: verdict.position, repeated: true };
      if (verdict.kind === 'conflict') throw new WrongExpectedRevisionError(streamName, expected, verdict.actual);
    }
    const data = events.map((e) =>
      jsonEvent({ id: e.metadata.eventId, type: e.type, data: e.data as JSONType, metadata: e.metadata as unknown as JSONType }),
    );
    try {
      const result = await this.client.appendToStream(streamName, data, { expectedRevision: toExpectedRevision(expected) });
      const revision = Number(result.nextExpectedRevision);
      if (result.position) return { nextExpectedRevision: revision, position: logPosition(result.position), repeated: false };
      // An idempotent repeat is acknowledged without a position: look up where the first write put it,
      // and hold it to the same types (the server compares ids only).
      return { nextExpectedRevision: revision, position: await this.repeatedAt(streamName, events, revision, expected), repeated: true };
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) {
        const actual = error.actualVersion;
        throw new WrongExpectedRevisionError(streamName, expected, typeof actual === 'bigint' ? Number(actual) : 'no-stream');
      }
      throw error;
    }
  }

  async readStream(streamName: string): Promise<RecordedEvent[]> {
    await this.supportedServer();
    const out: RecordedEvent[] = [];
    try {
      await this.each(this.client.readStream(streamName, { fromRevision: START, direction: FORWARDS }), `read of ${streamName}`, (resolved) => {
        out.push(toRecorded(resolved));
      });
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
    return out;
  }

  async readAll(options: { after?: number; limit?: number } = {}): Promise<RecordedEvent[]> {
    await this.supportedServer();
    const limit = options.limit ?? Number.MAX_SAFE_INTEGER;
    let after = options.after ?? 0;
    const out: RecordedEvent[] = [];
    // $all holds system events too; pages are read until `limit` user events are collected.
    while (out.length < limit) {
      let seen = 0;
      const page = this.client.readAll({ fromPosition: fromPosition(after), maxCount: READ_PAGE, direction: FORWARDS });
      await this.each(page, 'read of $all', (resolved) => {
        seen++;
        const position = logPosition(resolved.event?.position);
        if (position <= after) return; // reads from a position include the event at it
        after = position;
        if (isUserEvent(resolved)) out.push(toRecorded(resolved));
        if (out.length >= limit) return STOP;
      });
      if (seen < READ_PAGE) break;
    }
    return out;
  }

  async headPosition(): Promise<number> {
    await this.supportedServer();
    let from: ReadPosition = END;
    for (;;) {
      let seen = 0;
      let last: Position | undefined;
      let head: number | undefined;
      const page = this.client.readAll({ fromPosition: from, maxCount: READ_PAGE, direction: BACKWARDS });
      await this.each(page, 'backward read of $all', (resolved) => {
        seen++;
        if (isUserEvent(resolved)) {
          head = logPosition(resolved.event?.position);
          return STOP;
        }
        last = resolved.event?.position;
      });
      if (head !== undefined) return head;
      if (seen < READ_PAGE || !last) return 0;
      from = last;
    }
  }

  subscribeToAll(options: SubscribeOptions, handler: (event: RecordedEvent) => Promise<void> | void): Subscription {
    const after = options.after ?? 0;
    const feed = this.client.subscribeToAll({ fromPosition: after > 0 ? fromPosition(after) : START, filter: excludeSystemEvents() });
    const subscription: Subscription = followFeed(
      feed,
      async (resolved) => {
        if (!isUserEvent(resolved)) return;
        const event = toRecorded(resolved);
        if (event.position <= after) return;
        await handler(event);
      },
      { what: '$all', onError: options.onError, onClosed: () => void this.subscriptions.delete(subscription) },
    );
    this.subscriptions.add(subscription);
    return subscription;
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    await this.client.dispose();
  }

  /** Every read goes through here: a deadline, and its gRPC call cancelled however the loop ends. */
  private each<E>(read: CancellableRead<E>, what: string, visit: (item: E) => typeof STOP | void): Promise<void> {
    return readEach(read, visit, { deadlineMs: this.readDeadlineMs, what });
  }

  /**
   * Refuses a server too old for the ledger once, before the first call that needs it. The answer
   * is kept when it is a refusal; a failure to ask (server not up yet) is asked again next time.
   */
  private supportedServer(): Promise<void> {
    this.serverChecked ??= (this.client as unknown as ClientCapabilities).capabilities
      .then((features) => requireSupportedServer(features.serverVersion))
      .catch((error: unknown) => {
        if (!(error instanceof ServerTooOldError)) this.serverChecked = undefined;
        throw error;
      });
    return this.serverChecked;
  }

  /** The stream's last `count` events in revision order; none when it does not exist. */
  private async lastEvents(streamName: string, count: number): Promise<StoredEvent[]> {
    const out: StoredEvent[] = [];
    try {
      await this.each(
        this.client.readStream(streamName, { fromRevision: END, direction: BACKWARDS, maxCount: count }),
        `backward read of ${streamName}`,
        (resolved) => {
          const e = resolved.event;
          if (e) out.push({ revision: Number(e.revision), id: e.id, type: e.type, position: logPosition(e.position) });
        },
      );
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
    return out.reverse();
  }

  /** Position of the last event of a repeated append; another type under the same id is a conflict. */
  private async repeatedAt(streamName: string, events: NewEvent[], lastRevision: number, expected: ExpectedRevision): Promise<number> {
    const first = lastRevision - events.length + 1;
    let position: number | undefined;
    let i = 0;
    await this.each(this.client.readStream(streamName, { fromRevision: BigInt(first), maxCount: events.length }), `read of ${streamName}`, (resolved) => {
      const sent = events[i++];
      if (!sent || resolved.event?.id !== sent.metadata.eventId || resolved.event.type !== sent.type) {
        throw new WrongExpectedRevisionError(streamName, expected, lastRevision);
      }
      position = logPosition(resolved.event.position);
    });
    if (position === undefined || i !== events.length) throw new Error(`events of ${streamName} acknowledged but not readable`);
    return position;
  }
}

function toExpectedRevision(expected: ExpectedRevision): AppendExpectedRevision {
  switch (expected) {
    case 'no-stream':
      return NO_STREAM;
    case 'exists':
      return STREAM_EXISTS;
    case 'any':
      return ANY;
    default:
      return BigInt(expected);
  }
}

/** For one-event-per-record positions commit equals prepare, so one number names the record. */
function fromPosition(position: number): ReadPosition {
  if (position <= 0) return START;
  const p = BigInt(position);
  return { commit: p, prepare: p };
}

function isUserEvent(resolved: ResolvedEvent | AllStreamResolvedEvent): boolean {
  const e = resolved.event;
  return !!e && !e.streamId.startsWith('$') && !e.type.startsWith('$') && e.isJson;
}

function toRecorded(resolved: ResolvedEvent | AllStreamResolvedEvent): RecordedEvent {
  const e = resolved.event;
  if (!e || !e.isJson) throw new Error('expected a JSON event');
  if (!isObject(e.data) || !isObject(e.metadata)) throw new Error(`event ${e.id} in ${e.streamId} is not a ledger event`);
  return {
    streamName: e.streamId,
    revision: Number(e.revision),
    position: logPosition(e.position),
    type: e.type,
    data: e.data,
    metadata: e.metadata as unknown as EventMetadata,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}
