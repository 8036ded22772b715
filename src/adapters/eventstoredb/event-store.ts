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

const READ_PAGE = 500;

/**
 * EventStore on EventStoreDB (gRPC client). The global position is the event's commit position in
 * the transaction log: one number per event, strictly increasing, since the ledger appends each
 * batch as one implicit transaction (commit = prepare for every event in it). Needs a server
 * from 22.10 on, which returns positions on stream reads too.
 */
export class EventStoreDbEventStore implements EventStore {
  private readonly client: EventStoreDBClient;
  private readonly subscriptions = new Set<Subscription>();

  constructor(connectionString: string) {
    this.client = EventStoreDBClient.connectionString(connectionString);
  }

  async append(streamName: string, events: NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    if (events.length === 0) throw new Error('append needs at least one event');
    const data = events.map((e) =>
      jsonEvent({ id: e.metadata.eventId, type: e.type, data: e.data as JSONType, metadata: e.metadata as unknown as JSONType }),
    );
    try {
      const result = await this.client.appendToStream(streamName, data, { expectedRevision: toExpectedRevision(expected) });
      const revision = Number(result.nextExpectedRevision);
      if (result.position) return { nextExpectedRevision: revision, position: commitPosition(result.position), repeated: false };
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
    const out: RecordedEvent[] = [];
    try {
      for await (const resolved of this.client.readStream(streamName, { fromRevision: START, direction: FORWARDS })) {
        out.push(toRecorded(resolved));
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
    return out;
  }

  async readAll(options: { after?: number; limit?: number } = {}): Promise<RecordedEvent[]> {
    const limit = options.limit ?? Number.MAX_SAFE_INTEGER;
    let after = options.after ?? 0;
    const out: RecordedEvent[] = [];
    // $all holds system events too; pages are read until `limit` user events are collected.
    while (out.length < limit) {
      let seen = 0;
      for await (const resolved of this.client.readAll({ fromPosition: fromPosition(after), maxCount: READ_PAGE, direction: FORWARDS })) {
        seen++;
        const position = commitPosition(resolved.event?.position);
        if (position <= after) continue; // reads from a position include the event at it
        after = position;
        if (isUserEvent(resolved)) out.push(toRecorded(resolved));
        if (out.length >= limit) break;
      }
      if (seen < READ_PAGE) break;
    }
    return out;
  }

  async headPosition(): Promise<number> {
    let from: ReadPosition = END;
    for (;;) {
      let seen = 0;
      let last: Position | undefined;
      for await (const resolved of this.client.readAll({ fromPosition: from, maxCount: READ_PAGE, direction: BACKWARDS })) {
        seen++;
        if (isUserEvent(resolved)) return commitPosition(resolved.event?.position);
        last = resolved.event?.position;
      }
      if (seen < READ_PAGE || !last) return 0;
      from = last;
    }
  }

  subscribeToAll(options: SubscribeOptions, handler: (event: RecordedEvent) => Promise<void> | void): Subscription {
    const after = options.after ?? 0;
    const feed = this.client.subscribeToAll({ fromPosition: after > 0 ? fromPosition(after) : START, filter: excludeSystemEvents() });
    let stopped = false;
    const loop = (async () => {
      for await (const resolved of feed) {
        if (stopped) break;
        if (!isUserEvent(resolved)) continue;
        const event = toRecorded(resolved);
        if (event.position <= after) continue;
        await handler(event);
      }
    })().catch(async (error: unknown) => {
      if (stopped) return;
      stopped = true;
      await feed.unsubscribe().catch(() => undefined);
      options.onError?.(error);
    });
    const subscription: Subscription = {
      close: async () => {
        stopped = true;
        this.subscriptions.delete(subscription);
        await feed.unsubscribe().catch(() => undefined);
        await loop;
      },
    };
    this.subscriptions.add(subscription);
    return subscription;
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    await this.client.dispose();
  }

  /** Position of the last event of a repeated append; another type under the same id is a conflict. */
  private async repeatedAt(streamName: string, events: NewEvent[], lastRevision: number, expected: ExpectedRevision): Promise<number> {
    const first = lastRevision - events.length + 1;
    let position: number | undefined;
    let i = 0;
    for await (const resolved of this.client.readStream(streamName, { fromRevision: BigInt(first), maxCount: events.length })) {
      const sent = events[i++];
      if (!sent || resolved.event?.id !== sent.metadata.eventId || resolved.event.type !== sent.type) {
        throw new WrongExpectedRevisionError(streamName, expected, lastRevision);
      }
      position = commitPosition(resolved.event.position);
    }
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

function commitPosition(position: Position | undefined): number {
  if (!position) throw new Error('EventStoreDB returned an event without its position: the ledger needs EventStoreDB 22.10 or later');
  if (position.commit > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`commit position ${position.commit} exceeds what a JS number holds exactly`);
  return Number(position.commit);
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
    position: commitPosition(e.position),
    type: e.type,
    data: e.data,
    metadata: e.metadata as unknown as EventMetadata,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}
