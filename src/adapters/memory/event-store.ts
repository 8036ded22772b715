import type { NewEvent, RecordedEvent } from '../../../events/envelope.ts';
import {
  START_OF_LOG,
  WrongExpectedRevisionError,
  type AppendResult,
  type EventStore,
  type ExpectedRevision,
  type LogPosition,
  type SubscribeOptions,
  type Subscription,
} from '../../ports/event-store.ts';

export interface MemoryEventStoreOptions {
  /**
   * Seed of the gaps between positions. The n-th event sits at n x 1000 plus a jitter below 1000,
   * so positions increase strictly but say nothing of how many events came before, as on
   * EventStoreDB: code that counts with positions gets wrong figures here.
   */
  seed?: number;
}

const SPACING = 1000;

/**
 * EventStore in memory, for tests only: nothing survives the process. Its positions are sparse on
 * purpose (see MemoryEventStoreOptions.seed); it passes test/contract/event-store.contract.ts.
 */
export class MemoryEventStore implements EventStore {
  private readonly log: RecordedEvent[] = [];
  private readonly streams = new Map<string, RecordedEvent[]>();
  private readonly byEventId = new Map<string, RecordedEvent>();
  private readonly listeners = new Set<() => void>();
  private readonly jitter: () => number;
  private closed = false;

  constructor(options: MemoryEventStoreOptions = {}) {
    this.jitter = jitterFrom(options.seed ?? 1);
  }

  async append(streamName: string, events: NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    if (this.closed) throw new Error('event store is closed');
    if (events.length === 0) throw new Error('append needs at least one event');
    const stream = this.streams.get(streamName);
    const current = stream?.at(-1)?.revision;
    const actual = current ?? 'no-stream';
    const repeat = stream ? this.recognisedRepeat(streamName, events, expected, actual) : undefined;
    if (repeat) return repeat;
    const ok =
      expected === 'any' ||
      (expected === 'no-stream' && current === undefined) ||
      (expected === 'exists' && current !== undefined) ||
      (typeof expected === 'number' && current === expected);
    if (!ok) throw new WrongExpectedRevisionError(streamName, expected, actual);
    // An id already stored, or twice in this append: a conflict, and nothing of the append is written.
    const ids = new Set<string>();
    for (const e of events) {
      if (this.byEventId.has(e.metadata.eventId) || ids.has(e.metadata.eventId)) throw new WrongExpectedRevisionError(streamName, expected, actual);
      ids.add(e.metadata.eventId);
    }
    const target = stream ?? [];
    if (!stream) this.streams.set(streamName, target);
    let revision = current ?? -1;
    let position: LogPosition = START_OF_LOG;
    for (const e of events) {
      revision += 1;
      position = (this.log.length + 1) * SPACING + this.jitter();
      const recorded: RecordedEvent = { streamName, revision, position, type: e.type, data: copy(e.data), metadata: copy(e.metadata) };
      this.log.push(recorded);
      target.push(recorded);
      this.byEventId.set(e.metadata.eventId, recorded);
    }
    // Told after the caller's turn, as a store that commits asynchronously would.
    queueMicrotask(() => {
      for (const notify of this.listeners) notify();
    });
    return { nextExpectedRevision: revision, position, repeated: false };
  }

  /** The same ids again at the same place in the stream: the first write stands (as on SQLite). */
  private recognisedRepeat(streamName: string, events: NewEvent[], expected: ExpectedRevision, actual: number | 'no-stream'): AppendResult | undefined {
    const first = this.byEventId.get(events[0]!.metadata.eventId);
    if (!first) return undefined;
    const startRevision = expected === 'no-stream' ? 0 : typeof expected === 'number' ? expected + 1 : first.revision;
    let last = first;
    for (const [i, e] of events.entries()) {
      const stored = this.byEventId.get(e.metadata.eventId);
      if (!stored || stored.streamName !== streamName || stored.revision !== startRevision + i || stored.type !== e.type) {
        throw new WrongExpectedRevisionError(streamName, expected, actual);
      }
      last = stored;
    }
    return { nextExpectedRevision: last.revision, position: last.position, repeated: true };
  }

  async readStream(streamName: string): Promise<RecordedEvent[]> {
    return (this.streams.get(streamName) ?? []).map(copy);
  }

  async readAll(options: { after?: LogPosition; limit?: number } = {}): Promise<RecordedEvent[]> {
    const from = this.indexAfter(options.after ?? START_OF_LOG);
    return this.log.slice(from, from + (options.limit ?? this.log.length)).map(copy);
  }

  async headPosition(): Promise<LogPosition> {
    return this.log.at(-1)?.position ?? START_OF_LOG;
  }

  subscribeToAll(options: SubscribeOptions, handler: (event: RecordedEvent) => Promise<void> | void): Subscription {
    let next = this.indexAfter(options.after ?? START_OF_LOG);
    let stopped = false;
    let wake: (() => void) | undefined;
    const notify = () => wake?.();
    this.listeners.add(notify);
    const loop = (async () => {
      while (!stopped && !this.closed) {
        if (next < this.log.length) {
          await handler(copy(this.log[next]!));
          next += 1;
          continue;
        }
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    })().catch((error: unknown) => {
      stopped = true;
      options.onError?.(error);
    });
    return {
      close: async () => {
        stopped = true;
        this.listeners.delete(notify);
        wake?.();
        await loop;
      },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const notify of this.listeners) notify();
  }

  /** Index of the first event strictly after `position` (binary search: positions increase). */
  private indexAfter(position: LogPosition): number {
    let low = 0;
    let high = this.log.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.log[mid]!.position <= position) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}

/** Jitter below SPACING from a seeded linear congruential generator, so a failing run can be repeated. */
function jitterFrom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return Math.floor((state / 2 ** 32) * SPACING);
  };
}

const copy = <T>(value: T): T => structuredClone(value);
