import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { guardAppend, type StoredEvent } from '../../src/adapters/eventstoredb/append-guard.ts';
import { ServerTooOldError, logPosition, requireSupportedServer } from '../../src/adapters/eventstoredb/server-version.ts';
import { ReadDeadlineError, STOP, readEach, type CancellableRead } from '../../src/adapters/eventstoredb/streaming-read.ts';
import { SubscriptionEndedError, followFeed, type SubscriptionFeed } from '../../src/adapters/eventstoredb/subscription-feed.ts';
import { newEvent } from '../support/events.ts';

// The parts of the EventStoreDB adapter that are plain code, run here without a server (its
// contract suite runs against a real one when EVENTSTORE_URL is set). The fakes are Node streams,
// as the client's StreamingRead and subscription are, recording what the adapter asks of them.

/** A read that yields `items`, then ends, or never ends when `hang`; it records cancel(). */
function fakeRead<T>(items: T[], options: { hang?: boolean } = {}): CancellableRead<T> & { state: { cancelled: number; given: number } } {
  const state = { cancelled: 0, given: 0 };
  async function* produce() {
    for (const item of items) {
      state.given++;
      yield item;
    }
    if (options.hang) await new Promise(() => undefined);
  }
  const stream = Readable.from(produce(), { objectMode: true, highWaterMark: 1 });
  return Object.assign(stream, {
    state,
    cancel: async () => {
      state.cancelled++;
    },
  });
}

describe('EventStoreDB reads: one helper cancels every read and gives it a deadline', () => {
  it('cancels the gRPC call of a read left early, and reads no further', async () => {
    const read = fakeRead([1, 2, 3, 4, 5, 6, 7, 8]);
    const seen: number[] = [];
    await readEach(read, (n) => (seen.push(n), n === 2 ? STOP : undefined), { deadlineMs: 5_000, what: 'test read' });
    expect(seen).toEqual([1, 2]);
    expect(read.state.cancelled).toBe(1);
    expect(read.state.given).toBeLessThan(8);
  });

  it('cancels when the visitor throws, and the error reaches the caller', async () => {
    const read = fakeRead(['a', 'b']);
    await expect(
      readEach(read, () => {
        throw new Error('not a ledger event');
      }, { deadlineMs: 5_000, what: 'test read' }),
    ).rejects.toThrow('not a ledger event');
    expect(read.state.cancelled).toBe(1);
  });

  it('reads a read to its end and still cancels it (harmless once the server finished)', async () => {
    const read = fakeRead(['a', 'b', 'c']);
    const seen: string[] = [];
    await readEach(read, (s) => void seen.push(s), { deadlineMs: 5_000, what: 'test read' });
    expect(seen).toEqual(['a', 'b', 'c']);
    expect(read.state.cancelled).toBe(1);
  });

  it('fails a read that outlives its deadline, naming it, and cancels its call', async () => {
    const read = fakeRead(['a'], { hang: true });
    const seen: string[] = [];
    const error = await readEach(read, (s) => void seen.push(s), { deadlineMs: 50, what: 'read of act-1' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReadDeadlineError);
    expect(String(error)).toContain('read of act-1');
    expect(seen).toEqual(['a']);
    expect(read.state.cancelled).toBe(1);
  });
});

/** A subscription feed that yields `items`, then ends as the server would end it, or waits for unsubscribe(). */
function fakeFeed<T>(items: T[], options: { endsByItself: boolean }): SubscriptionFeed<T> & { state: { unsubscribed: number } } {
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => (release = resolve));
  async function* produce() {
    yield* items;
    if (!options.endsByItself) await released;
  }
  const state = { unsubscribed: 0 };
  const stream = Readable.from(produce(), { objectMode: true });
  return Object.assign(stream, {
    state,
    unsubscribe: async () => {
      state.unsubscribed++;
      release();
    },
  });
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('EventStoreDB subscriptions: an end nobody asked for is an error', () => {
  it('reports a feed the server ended cleanly through onError, after handling what it delivered', async () => {
    const errors: unknown[] = [];
    const handled: number[] = [];
    const feed = fakeFeed([1, 2], { endsByItself: true });
    const subscription = followFeed(feed, (n) => void handled.push(n), { what: '$all', onError: (e) => errors.push(e) });
    for (let i = 0; i < 100 && errors.length === 0; i++) await settle();
    expect(handled).toEqual([1, 2]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(SubscriptionEndedError);
    await subscription.close();
    expect(errors).toHaveLength(1);
  });

  it('reports nothing when it ends because it was closed', async () => {
    const errors: unknown[] = [];
    const handled: number[] = [];
    const feed = fakeFeed([1], { endsByItself: false });
    const subscription = followFeed(feed, (n) => void handled.push(n), { what: '$all', onError: (e) => errors.push(e) });
    for (let i = 0; i < 100 && handled.length === 0; i++) await settle();
    await subscription.close();
    await settle();
    expect(handled).toEqual([1]);
    expect(errors).toEqual([]);
    expect(feed.state.unsubscribed).toBeGreaterThanOrEqual(1);
  });

  it('reports a failing handler once, unsubscribes, and handles nothing after it', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const feed = fakeFeed([1, 2, 3], { endsByItself: false });
    const subscription = followFeed(
      feed,
      () => {
        calls++;
        throw new Error('projection broke');
      },
      { what: '$all', onError: (e) => errors.push(e) },
    );
    for (let i = 0; i < 100 && errors.length === 0; i++) await settle();
    await subscription.close();
    expect(calls).toBe(1);
    expect(errors.map(String)).toEqual(['Error: projection broke']);
    expect(feed.state.unsubscribed).toBeGreaterThanOrEqual(1);
  });
});

describe('EventStoreDB appends: the same ids are never stored twice', () => {
  const [a, b, c] = [newEvent('A'), newEvent('B'), newEvent('C')];
  const stored = (...events: typeof a[]): StoredEvent[] =>
    events.map((e, revision) => ({ revision, id: e.metadata.eventId, type: e.type, position: (revision + 1) * 1000 + 7 }));
  const tailOf = (events: StoredEvent[], count: number) => events.slice(-count);

  it('refuses, as a conflict, the same ids sent again at the current revision, whole or in part', () => {
    const stream = stored(a, b);
    expect(guardAppend(tailOf(stream, 1), [b], 1)).toEqual({ kind: 'conflict', actual: 1 });
    expect(guardAppend(tailOf(stream, 2), [a, b], 1)).toEqual({ kind: 'conflict', actual: 1 });
    expect(guardAppend(tailOf(stream, 2), [c, b], 1)).toEqual({ kind: 'conflict', actual: 1 });
  });

  it('leaves to the server what it decides right: fresh ids, a stale revision, a missing stream, no-stream', () => {
    const stream = stored(a, b);
    expect(guardAppend(tailOf(stream, 1), [c], 1)).toEqual({ kind: 'write' });
    expect(guardAppend(tailOf(stream, 1), [b], 0)).toEqual({ kind: 'write' });
    expect(guardAppend([], [a], 0)).toEqual({ kind: 'write' });
    expect(guardAppend(tailOf(stream, 2), [a, b], 'no-stream')).toEqual({ kind: 'write' });
  });

  it('answers any/exists with the stream\'s last events as a repeat at their place, another type or a partial overlap as a conflict', () => {
    const stream = stored(a, b, c);
    expect(guardAppend(tailOf(stream, 2), [b, c], 'any')).toEqual({ kind: 'repeat', revision: 2, position: 3007 });
    expect(guardAppend(tailOf(stream, 1), [c], 'exists')).toEqual({ kind: 'repeat', revision: 2, position: 3007 });
    expect(guardAppend(tailOf(stream, 1), [{ ...newEvent('Impostor'), metadata: c.metadata }], 'any')).toEqual({ kind: 'conflict', actual: 2 });
    expect(guardAppend(tailOf(stream, 2), [c, newEvent()], 'any')).toEqual({ kind: 'conflict', actual: 2 });
  });
});

describe('EventStoreDB server too old', () => {
  it('refuses a server before 22.10 from the version it reports, and one that reports none', () => {
    for (const old of ['21.10.9.0', '22.6.0.0', '20.10.5', 'unknown', 'nonsense']) {
      expect(() => requireSupportedServer(old), old).toThrow(ServerTooOldError);
    }
    expect(() => requireSupportedServer('21.10.9.0')).toThrow(/needs EventStoreDB 22\.10 or later/);
    for (const fine of ['22.10.0.0', '23.10.1', '24.2.0', '25.0.1.0', '0.0.0.0']) expect(() => requireSupportedServer(fine), fine).not.toThrow();
  });

  it('refuses an event without a log position (what an old server sends on stream reads) instead of using it', () => {
    expect(() => logPosition({ commit: 0n, prepare: 0n })).toThrow(ServerTooOldError);
    expect(() => logPosition({ commit: 2n ** 64n - 1n, prepare: 2n ** 64n - 1n })).toThrow(ServerTooOldError);
    expect(() => logPosition(undefined)).toThrow(ServerTooOldError);
    expect(logPosition({ commit: 123_456n, prepare: 123_456n })).toBe(123_456);
  });
});
