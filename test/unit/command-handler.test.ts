import { describe, expect, it } from 'vitest';
import type { Decider } from '../../commands/decider.ts';
import { openSqlite } from '../../src/adapters/sqlite/database.ts';
import { SqliteEventStore } from '../../src/adapters/sqlite/event-store.ts';
import { backoffDelayMs, handleCommand, loadState } from '../../src/app/command-handler.ts';
import { WrongExpectedRevisionError } from '../../src/ports/event-store.ts';
import { DomainError } from '../../commands/errors.ts';

/** A counter stream: `Add` appends Added with the total it makes; the total is what evolve folds. */
type Added = { type: 'Added'; data: { total: number } };
const counter: Decider<number, { type: 'Add' }, Added> = {
  initialState: () => 0,
  evolve: (_total, event) => event.data.total,
  decide: (_command, total) => [{ type: 'Added', data: { total: total + 1 } }],
};
const context = () => ({ actor: 'test', now: new Date().toISOString() });

describe('command handling with the state the caller just loaded', () => {
  it('decides on it without reading the stream again', async () => {
    const store = new SqliteEventStore(openSqlite(':memory:'));
    await handleCommand({ store, streamName: 'counter-1', decider: counter, command: { type: 'Add' }, context: context() });
    const known = await loadState(store, 'counter-1', counter);
    let reads = 0;
    const counting = Object.assign(Object.create(store) as SqliteEventStore, {
      readStream: (name: string) => {
        reads += 1;
        return store.readStream(name);
      },
    });
    const result = await handleCommand({ store: counting, streamName: 'counter-1', decider: counter, command: { type: 'Add' }, context: context(), known });
    expect(reads).toBe(0);
    expect(result).toMatchObject({ state: 2, revision: 1 });
  });

  it('reads afresh and decides again when the stream moved on since (no lost update)', async () => {
    const store = new SqliteEventStore(openSqlite(':memory:'));
    const stale = await loadState(store, 'counter-2', counter);
    // Another writer appends in between.
    await handleCommand({ store, streamName: 'counter-2', decider: counter, command: { type: 'Add' }, context: context() });
    const result = await handleCommand({ store, streamName: 'counter-2', decider: counter, command: { type: 'Add' }, context: context(), known: stale });
    expect(result).toMatchObject({ state: 2, revision: 1 });
    expect((await store.readStream('counter-2')).map((e) => e.data.total)).toEqual([1, 2]);
  });

  it('backs off and decides again while other writers win, and ends in a concurrency-conflict when every attempt loses', async () => {
    const store = new SqliteEventStore(openSqlite(':memory:'));
    await handleCommand({ store, streamName: 'counter-3', decider: counter, command: { type: 'Add' }, context: context() });
    // A store where some other writer always appended a moment before: every append conflicts.
    let appends = 0;
    const contended = Object.assign(Object.create(store) as SqliteEventStore, {
      append: async () => {
        appends += 1;
        throw new WrongExpectedRevisionError('counter-3', 0, appends);
      },
    });
    const retry = { attempts: 4, baseDelayMs: 1, maxDelayMs: 2 };
    const refused = await handleCommand({ store: contended, streamName: 'counter-3', decider: counter, command: { type: 'Add' }, context: context(), retry }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DomainError);
    expect(refused).toMatchObject({ code: 'concurrency-conflict', details: { attempts: 4, retryAfterSeconds: 1 } });
    expect(appends).toBe(4);
    expect(await store.readStream('counter-3')).toHaveLength(1);
  });

  it('spreads retries with full jitter, growing up to the ceiling', () => {
    const policy = { attempts: 10, baseDelayMs: 5, maxDelayMs: 250 };
    expect(backoffDelayMs(policy, 1, () => 0.999)).toBe(4);
    expect(backoffDelayMs(policy, 3, () => 0.5)).toBe(10);
    expect(backoffDelayMs(policy, 9, () => 0.999)).toBe(249);
    expect(backoffDelayMs(policy, 9, () => 0)).toBe(0);
  });

  it('answers a repeat of an idempotency key from what the store kept, not from its own decision', async () => {
    const store = new SqliteEventStore(openSqlite(':memory:'));
    const stamped: Decider<number, { type: 'Set'; total: number }, Added> = {
      initialState: () => 0,
      evolve: (_t, e) => e.data.total,
      decide: (c) => [{ type: 'Added', data: { total: c.total } }],
    };
    const first = await handleCommand({ store, streamName: 'counter-4', decider: stamped, command: { type: 'Set', total: 7 }, context: { ...context(), idempotencyKey: 'k' } });
    const again = await handleCommand({ store, streamName: 'counter-4', decider: stamped, command: { type: 'Set', total: 9 }, context: { ...context(), idempotencyKey: 'k' }, known: { state: 0, revision: -1 } });
    expect(first).toMatchObject({ replayed: false, state: 7 });
    expect(again).toMatchObject({ replayed: true, state: 7, events: [] });
    expect(await store.readStream('counter-4')).toHaveLength(1);
  });
});
