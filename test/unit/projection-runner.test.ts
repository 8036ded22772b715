import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../events/envelope.ts';
import type { Projection } from '../../projections/projection.ts';
import { openSqlite, type SqliteDatabase } from '../../src/adapters/sqlite/database.ts';
import { SqliteReadModelStore } from '../../src/adapters/sqlite/read-model-store.ts';
import { ProjectionRunner, type ProjectionRunnerOptions } from '../../src/app/projecting/projection-runner.ts';
import type { EventStore } from '../../src/ports/event-store.ts';
import type { ReadModelStore } from '../../src/ports/read-model-store.ts';
import { tempDir, testEventStore } from '../support/ledger.ts';
import { appendShelving, decodeShelving, expectedShelving, shelvingProjection, type ItemDoc, type ShelfDoc } from '../support/shelving.ts';

let dir: string;
let db: SqliteDatabase;
let events: EventStore;
let readModels: SqliteReadModelStore;
const runners: ProjectionRunner[] = [];

beforeEach(() => {
  dir = tempDir('projection-runner-');
  db = openSqlite(join(dir, 'ledger.sqlite'));
  events = testEventStore(db);
  readModels = new SqliteReadModelStore(db);
});
afterEach(async () => {
  for (const r of runners.splice(0)) await r.close();
  await events.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function runner(options: Partial<ProjectionRunnerOptions> = {}): ProjectionRunner {
  const r = new ProjectionRunner({ eventStore: events, readModels, projections: [shelvingProjection()], decode: decodeShelving, retryDelayMs: 10, ...options });
  runners.push(r);
  return r;
}

async function readModel(store: ReadModelStore = readModels) {
  return {
    items: await store.find<ItemDoc>('shelving_items'),
    shelves: await store.find<ShelfDoc>('shelving_shelves'),
  };
}

/** A decode that waits a turn of the event loop, as a key-vault lookup would: appends interleave with it. */
const slowDecode = async (r: RecordedEvent) => {
  await new Promise((resolve) => setImmediate(resolve));
  return decodeShelving(r);
};

/** The position of the n-th event of the log (positions are cursors: the n-th event is not at n). */
async function positionOfEvent(n: number): Promise<number> {
  return (await events.readAll({ limit: n })).at(-1)!.position;
}

async function oracle() {
  return expectedShelving(await Promise.all((await events.readAll()).map(decodeShelving)));
}

/** Every event delivered twice in a row, and from the start whatever checkpoint is asked for. */
function stuttering(store: EventStore): EventStore {
  return Object.assign(Object.create(store) as EventStore, {
    subscribeToAll: (_options: Parameters<EventStore['subscribeToAll']>[0], handler: (e: RecordedEvent) => Promise<void> | void) =>
      store.subscribeToAll({ after: 0 }, async (e) => {
        await handler(e);
        await handler(e);
      }),
  });
}

describe('projection runner', () => {
  it('builds the read model the events describe, while they are being appended', async () => {
    const r = runner();
    await r.start();
    await appendShelving(events, 3000, { seed: 1 });
    await r.waitFor(await events.headPosition());
    const live = await readModel();
    expect(live).toEqual(await oracle());
    expect(live.items.length).toBeGreaterThan(100);
    expect(live.shelves.some((s) => (s.shelved ?? 0) > 100 && (s.cleared ?? 0) > 0)).toBe(true);
    // Labels were unsealed on the way in; the shelf whose key is gone has none.
    expect(live.items.find((i) => i.shelfId === 's1')?.label).toMatch(/label|relabel/);
    expect(live.items.filter((i) => i.shelfId === 's5-erased').every((i) => i.label === undefined)).toBe(true);
  });

  it('writes a catch-up in batches, not one transaction per event', async () => {
    await appendShelving(events, 2000, { seed: 2, parallel: 100 });
    let transactions = 0;
    const counting = Object.assign(Object.create(readModels) as ReadModelStore, {
      applyBatch: (writes: Parameters<ReadModelStore['applyBatch']>[0]) => {
        transactions += 1;
        return readModels.applyBatch(writes);
      },
    });
    const r = runner({ readModels: counting, batchSize: 250 });
    await r.start();
    await r.waitFor(await positionOfEvent(2000));
    expect(await readModel()).toEqual(await oracle());
    expect(transactions).toBeLessThanOrEqual(2000 / 250 + 2);
  });

  it('gives the same read model when every event is delivered twice and replayed from the start', async () => {
    await appendShelving(events, 1500, { seed: 3 });
    const r = runner({ eventStore: stuttering(events) });
    await r.start();
    await r.waitFor(await events.headPosition());
    const once = await oracle();
    expect(await readModel()).toEqual(once);
    await r.close();

    // A restart whose subscription starts again from zero: the checkpoint turns the replay into no-ops.
    const again = runner({ eventStore: stuttering(events) });
    await again.start();
    await appendShelving(events, 10, { seed: 4 });
    await again.waitFor(await events.headPosition());
    expect(await readModel()).toEqual(await oracle());
  });

  it('rebuilds from zero into a fresh generation equal to the live read model, while appends go on', async () => {
    // A slow swap leaves room for the live loop to write to the old generation, unless it is paused.
    const slowSwap = Object.assign(Object.create(readModels) as ReadModelStore, {
      finishRebuild: async (projection: string, generation: number) => {
        await new Promise((resolve) => setTimeout(resolve, 50));
        return readModels.finishRebuild(projection, generation);
      },
    });
    const r = runner({ decode: slowDecode, readModels: slowSwap });
    await r.start();
    const state = await appendShelving(events, 2500, { seed: 5 });
    await r.waitFor(await events.headPosition());
    const live = await readModel();

    // Appends go on through the whole rebuild, so some land after its first catch-up and during the swap.
    let rebuilding = true;
    const appending = (async () => {
      for (let seed = 100; rebuilding; seed++) {
        await appendShelving(events, 5, { seed, state, parallel: 5 });
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();
    const report = await r.rebuild('shelving');
    rebuilding = false;
    await appending;
    await r.waitFor(await events.headPosition());
    expect(report.generation).toBe(2);
    expect(report.events).toBeGreaterThanOrEqual(2500);
    expect(await readModel()).toEqual(await oracle());
    expect((await readModel()).items.length).toBeGreaterThanOrEqual(live.items.length / 2);
    expect(await readModels.checkpoints.get('shelving')).toBe(await events.headPosition());
  });

  it('rebuilds at start when the projection version changed, and serves the new shape', async () => {
    await appendShelving(events, 300, { seed: 7 });
    const v1 = runner();
    await v1.start();
    await v1.waitFor(await positionOfEvent(300));
    await v1.close();

    const upper = (l: string) => l.toUpperCase();
    const v2 = runner({ projections: [shelvingProjection(2, upper)] });
    await v2.start();
    const expected = expectedShelving(await Promise.all((await events.readAll()).map(decodeShelving)), upper);
    expect(await readModel()).toEqual(expected);
    expect((await readModel()).items.some((i) => i.label?.startsWith('LABEL'))).toBe(true);
    expect(await readModels.checkpoints.get('shelving')).toBe(await positionOfEvent(300));
  });

  it('waitFor resolves once the position is written, and gives up after its timeout', async () => {
    const r = runner();
    await r.start();
    const [result] = await Promise.all([appendShelving(events, 1, { seed: 8 }).then(() => events.headPosition())]);
    await r.waitFor(result!);
    expect((await readModel()).items).toHaveLength(1);
    // A position past every event (a cursor no append has reached yet).
    await expect(r.waitFor(Number.MAX_SAFE_INTEGER, 100)).rejects.toThrow(/did not reach position/);
  });

  it('reports lag: events behind the head before start, none after; append-to-write time of what it wrote', async () => {
    const past = new Date(Date.now() - 2000).toISOString();
    await appendShelving(events, 200, { seed: 9, occurredAt: () => past });
    const head = await events.headPosition();
    const r = runner();
    const before = await r.lag();
    // Lag is a count of events, whatever the positions are.
    expect(before).toMatchObject({ running: false, headPosition: head, position: 0, lagEvents: 200, lagMsP99: null });
    await r.start();
    await r.waitFor(head);
    const after = await r.lag();
    expect(after).toMatchObject({ running: true, headPosition: head, position: head, lagEvents: 0, lagSamples: 200 });
    expect(after.lagMsP99).toBeGreaterThanOrEqual(2000);
    expect(after.lagMsP99).toBeLessThan(30_000);
    expect(after.projections).toEqual([{ name: 'shelving', version: 1, position: head, lagEvents: 0, rebuilding: false }]);
  });

  it('survives a handler that fails once: subscribes again, and loses or doubles nothing', async () => {
    let failed = 0;
    await appendShelving(events, 1000, { seed: 10 });
    const seventHundredth = await positionOfEvent(700);
    const base = shelvingProjection();
    const flaky: Projection = {
      ...base,
      project: (event, read) => {
        if (event.position === seventHundredth && failed++ === 0) throw new Error('the key vault did not answer');
        return base.project(event, read);
      },
    };
    const r = runner({ projections: [flaky], batchSize: 300 });
    await r.start();
    await r.waitFor(await events.headPosition());
    expect(failed).toBe(2);
    expect(await readModel()).toEqual(await oracle());
    expect((await r.lag()).error).toBeUndefined();
  });

  it('survives a write that fails: drops the batch, subscribes again, and loses or doubles nothing', async () => {
    await appendShelving(events, 1000, { seed: 13 });
    let calls = 0;
    const flaky = Object.assign(Object.create(readModels) as ReadModelStore, {
      applyBatch: (writes: Parameters<ReadModelStore['applyBatch']>[0]) =>
        ++calls === 2 ? Promise.reject(new Error('disk I/O error')) : readModels.applyBatch(writes),
    });
    const r = runner({ readModels: flaky, batchSize: 300, decode: slowDecode });
    await r.start();
    await appendShelving(events, 200, { seed: 14, parallel: 3 });
    await r.waitFor(await events.headPosition());
    expect(calls).toBeGreaterThan(4);
    expect(await readModel()).toEqual(await oracle());
  });

  it('stops on close: later events do not reach the read model', async () => {
    const r = runner();
    await r.start();
    await appendShelving(events, 20, { seed: 11 });
    const written = await events.headPosition();
    await r.waitFor(written);
    await r.close();
    await appendShelving(events, 20, { seed: 12 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await readModels.checkpoints.get('shelving')).toBe(written);
    expect((await r.lag()).running).toBe(false);
  });
});
