import { describe, expect, it } from 'vitest';
import type { Decider } from '../../commands/decider.ts';
import { openSqlite } from '../../src/adapters/sqlite/database.ts';
import { SqliteEventStore } from '../../src/adapters/sqlite/event-store.ts';
import { handleCommand, loadState } from '../../src/app/command-handler.ts';

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
    await handleCommand(store, 'counter-1', counter, { type: 'Add' }, context());
    const known = await loadState(store, 'counter-1', counter);
    let reads = 0;
    const counting = Object.assign(Object.create(store) as SqliteEventStore, {
      readStream: (name: string) => {
        reads += 1;
        return store.readStream(name);
      },
    });
    const result = await handleCommand(counting, 'counter-1', counter, { type: 'Add' }, context(), undefined, known);
    expect(reads).toBe(0);
    expect(result).toMatchObject({ state: 2, revision: 1 });
  });

  it('reads afresh and decides again when the stream moved on since (no lost update)', async () => {
    const store = new SqliteEventStore(openSqlite(':memory:'));
    const stale = await loadState(store, 'counter-2', counter);
    // Another writer appends in between.
    await handleCommand(store, 'counter-2', counter, { type: 'Add' }, context());
    const result = await handleCommand(store, 'counter-2', counter, { type: 'Add' }, context(), undefined, stale);
    expect(result).toMatchObject({ state: 2, revision: 1 });
    expect((await store.readStream('counter-2')).map((e) => e.data.total)).toEqual([1, 2]);
  });
});
