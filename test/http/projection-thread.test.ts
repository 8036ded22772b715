import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ledger } from '../../src/composition/ledger.ts';
import { ProjectionThread } from '../../src/app/projecting/projection-thread.ts';
import type { LeasedProjections } from '../../src/app/projecting/leased-projections.ts';
import { PENDING_ACTS } from '../../projections/pending-acts.ts';
import { providerSession } from '../support/act-flows.ts';
import { openSqlite } from '../../src/adapters/sqlite/database.ts';
import { SqliteReadModelStore } from '../../src/adapters/sqlite/read-model-store.ts';
import { createLogger } from '../../src/logger.ts';
import { buildLedger } from '../../src/composition/ledger.ts';
import { testConfig, testLedger } from '../support/ledger.ts';

/** The projections of the embedded default on files: a worker thread with a read-model file of its own. */
describe('projections on their own thread', () => {
  let ledger: Ledger;
  let session: Awaited<ReturnType<typeof providerSession>>;
  const head = () => ledger.services.eventStore.headPosition();
  const pending = (actId: string) => ledger.services.readModels.get(PENDING_ACTS, actId);

  beforeAll(async () => {
    ledger = await testLedger();
    session = await providerSession(ledger);
  });
  afterAll(() => ledger?.close());

  it('runs on a worker thread and keeps the read models in read-models.sqlite beside the ledger file', () => {
    // The only process on its data dir holds the projection lease at once and runs the thread.
    expect((ledger.services.projections as LeasedProjections).current()).toBeInstanceOf(ProjectionThread);
    expect(existsSync(join(ledger.services.config.dataDir, 'read-models.sqlite'))).toBe(true);
  });

  it('applies an act at once (not at its next poll) and answers waitFor across the thread', async () => {
    const actId = await session.register('test-person-jana', 'thread document', 'Thread act');
    const started = performance.now();
    await ledger.services.projections.waitFor(await head(), 5_000);
    // The subscription polls every 250 ms; word of the commit must wake it well before.
    expect(performance.now() - started).toBeLessThan(200);
    expect(await pending(actId)).toMatchObject({ actId });
  });

  it('answers lag and rebuild across the thread', async () => {
    const lag = await ledger.services.projections.lag();
    expect(lag).toMatchObject({ running: true, lagEvents: 0, headPosition: await head() });
    expect(lag.projections.map((p) => p.name)).toContain('pending-acts');
    const report = await ledger.services.projections.rebuild('pending-acts');
    expect(report).toMatchObject({ projection: 'pending-acts' });
    await expect(ledger.services.projections.rebuild('no-such-projection')).rejects.toThrow(/no projection named no-such-projection/);
  });

  it('checkpoints the ledger file itself, so commits on the request thread never stop to do it', async () => {
    const file = join(ledger.services.config.dataDir, 'ledger.sqlite');
    const before = statSync(file).size;
    // A few hundred pages of WAL: far below the request thread's own checkpoint backstop.
    for (let i = 0; i < 60; i++) await session.register('test-person-jana', `checkpoint document ${i}`, `Checkpoint act ${i}`);
    const walPages = statSync(`${file}-wal`).size / 4096;
    expect(walPages).toBeLessThan(10_000);
    // Only a checkpoint grows the database file; the thread runs one every 250 ms.
    await expect.poll(() => statSync(file).size, { timeout: 3_000, interval: 100 }).toBeGreaterThan(before);
  });

  it('starts a thread that died again, which resumes from its checkpoints', async () => {
    const thread = (ledger.services.projections as LeasedProjections).current() as ProjectionThread;
    // The thread dies as if it had crashed.
    await (thread as unknown as { worker: Worker }).worker.terminate();
    const down = await thread.lag();
    expect(down.running).toBe(false);
    const actId = await session.register('test-person-jana', 'after the crash', 'Act after the crash');
    await thread.waitFor(await head(), 10_000);
    expect(await pending(actId)).toMatchObject({ actId });
    expect(await thread.lag()).toMatchObject({ running: true, lagEvents: 0 });
  });
});

describe('a projection thread that cannot start', () => {
  it('fails the start of the ledger with the reason, instead of retrying behind it', async () => {
    const config = testConfig();
    // A read-model file where another projection owns the pending acts' collection.
    const db = openSqlite(join(config.dataDir, 'read-models.sqlite'));
    await new SqliteReadModelStore(db).register({ name: 'someone-else', version: 1, collections: [{ name: PENDING_ACTS, indexes: [] }] });
    db.close();
    await expect(buildLedger(config, { logger: createLogger('silent') })).rejects.toThrow(/collection pending_acts belongs to projection someone-else/);
  });
});
