import type { NewEvent, RecordedEvent } from '../../events/envelope.ts';

/**
 * Where an event sits in the global log: a cursor, not a count. Positions only increase in append
 * order, so they are for comparing, resuming after and waiting for; never subtract, add to or count
 * with them, and never store one in an event. EventStoreDB's are sparse byte offsets; another store
 * may number densely, but nothing may rely on it. A count in log order is the event's sequence
 * (src/app/projecting/event-sequence.ts). A plain number rather than a branded one: a brand would
 * still allow `position + 1`, which only a run on sparse positions catches (vitest.sparse.config.ts).
 */
export type LogPosition = number;

/** Before every event: reading or subscribing after it starts at the first event. */
export const START_OF_LOG: LogPosition = 0;

/**
 * What an append expects of the stream before it:
 * - `no-stream`: the stream must not exist;
 * - `exists`: the stream must have at least one event;
 * - `any`: no check;
 * - a number: the revision of the stream's last event must be exactly this.
 */
export type ExpectedRevision = 'no-stream' | 'exists' | 'any' | number;

export interface AppendResult {
  /** Revision of the last event now in the stream: pass it as the next expected revision. */
  nextExpectedRevision: number;
  /** Global position of the last appended event (a cursor: wait for it, never count with it). */
  position: LogPosition;
  /**
   * True when these event ids were already stored at this place in the stream: nothing was written,
   * and the first write stands. The caller reads the stream to answer with what was stored.
   */
  repeated: boolean;
}

/** Raised when the stream is not at the expected revision. */
export class WrongExpectedRevisionError extends Error {
  override readonly name = 'WrongExpectedRevisionError';
  constructor(
    readonly streamName: string,
    readonly expected: ExpectedRevision,
    /** The stream's current revision, or 'no-stream'. */
    readonly actual: number | 'no-stream',
  ) {
    super(`stream ${streamName}: expected revision ${String(expected)}, actual ${String(actual)}`);
  }
}

export interface Subscription {
  /** Stops delivery; resolves once the handler in flight (if any) has finished. */
  close(): Promise<void>;
}

export interface SubscribeOptions {
  /** Deliver events strictly after this global position; START_OF_LOG or undefined: from the start. */
  after?: LogPosition;
  /** Called when the handler throws; the subscription stops after it. */
  onError?: (error: unknown) => void;
}

/** The append-only log of every stream. All adapters pass test/contract/event-store.contract.ts. */
export interface EventStore {
  /** Appends atomically, or throws WrongExpectedRevisionError. Same event ids (and types) again at the same expected revision: acknowledged as `repeated`, stored once. */
  append(streamName: string, events: NewEvent[], expected: ExpectedRevision): Promise<AppendResult>;
  /** All events of one stream in revision order; empty when the stream does not exist. */
  readStream(streamName: string): Promise<RecordedEvent[]>;
  /** Events of the global log strictly after `after`, in position order, at most `limit` (a count of events, not a span of positions). */
  readAll(options?: { after?: LogPosition; limit?: number }): Promise<RecordedEvent[]>;
  /** Position of the last event in the global log (START_OF_LOG when empty). */
  headPosition(): Promise<LogPosition>;
  /** Delivers every event after `options.after`, then new ones as they are appended, one at a time, in order. */
  subscribeToAll(options: SubscribeOptions, handler: (event: RecordedEvent) => Promise<void> | void): Subscription;
  close(): Promise<void>;
}
