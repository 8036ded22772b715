import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { Ledger } from '../../src/composition/ledger.ts';
import { EXPIRY_JOB, PURGE_JOB } from '../../src/app/retention/background-jobs.ts';
import { EventSequence } from '../../src/app/projecting/event-sequence.ts';
import { appendFailedActs } from '../../bench/failed-acts.ts';
import { sparseEventStoreRun, tempDir } from '../support/ledger.ts';
import { HOUR, admin, caughtUp, eventually, ledgerWithClock, movableClock, providerClient, purgeRecords, rowsAbout, timesRecorded } from '../support/retention-ledger.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

/** The embedded default (SQLite, timers): the purge's own guarantees, the expiry sweep, the CLI, provider scoping. */
describe('retention purge on the embedded default', () => {
  const open: Ledger[] = [];
  const ledger = async (env: Record<string, string>, clock: () => Date) => {
    const built = await ledgerWithClock(env, clock);
    open.push(built);
    return built;
  };
  afterEach(async () => {
    for (const l of open.splice(0).reverse()) await l.close();
  });

  // Several processes (or a restart) on one data dir: the in-memory events of the sparse run are not shared.
  const sharedDataDir = it.skipIf(sparseEventStoreRun);

  sharedDataDir('two processes purging at once erase every due act and record each exactly once', async () => {
    const time = movableClock();
    const dataDir = tempDir();
    const env = { LEDGER_DATA_DIR: dataDir, LEDGER_PURGE_BATCH_SIZE: '40' };
    const first = await ledger(env, time.clock);
    const second = await ledger(env, time.clock);
    const due = await appendFailedActs(first.services, { count: 600, providerId: 'p-seeded', failedAt: time.clock(), batchSize: 200 });
    time.advance(25 * HOUR);
    const young = await appendFailedActs(first.services, { count: 5, providerId: 'p-seeded', failedAt: time.clock() });
    await Promise.all([caughtUp(first), caughtUp(second)]);

    const reports = await Promise.all([first.services.retentionPurge.run('worker-a'), second.services.retentionPurge.run('worker-b')]);
    expect(reports[0]!.recordedActs + reports[1]!.recordedActs).toBe(600);
    const times = await timesRecorded(first);
    expect(times.size).toBe(600);
    for (const id of due) expect(times.get(id), id).toBe(1);
    for (const id of due) expect(await first.services.keyVault.get(id)).toBeUndefined();
    for (const id of young) expect(await first.services.keyVault.get(id)).toBeDefined();
    await caughtUp(first);
    expect(await first.services.readModels.find('failed_authorizations')).toHaveLength(5);
  });

  it('a run cut off after destroying keys, or after recording, is finished by the next run without recording an act twice', async () => {
    const time = movableClock();
    const l = await ledger({ LEDGER_PURGE_BATCH_SIZE: '10' }, time.clock);
    const ids = await appendFailedActs(l.services, { count: 30, providerId: 'p-seeded', failedAt: time.clock() });
    time.advance(25 * HOUR);
    await caughtUp(l);
    const rows = await l.services.readModels.find<{ actId: string; logPosition: number; reason: string }>('failed_authorizations', { sort: [{ field: 'logPosition' }] });
    // A run died after recording the first ten (its rows still there), another after destroying the next five keys.
    const recorded = rows.slice(0, 10);
    await l.services.keyVault.destroy(recorded.map((r) => r.actId));
    // A purge record names the failures by their sequence, as the purge itself looks them up.
    const sequence = new EventSequence(l.services.readModels);
    const acts = await Promise.all(recorded.map(async (r) => ({ actId: r.actId, reason: r.reason, sequence: (await sequence.sequenceOf(r.logPosition))! })));
    await l.services.retention.decide(
      { type: 'RecordPurge', runId: 'died', acts, retentionMs: 24 * HOUR, cutoff: time.clock().toISOString(), now: time.clock().toISOString() },
      { actor: 'system:retention' },
    );
    await l.services.keyVault.destroy(rows.slice(10, 15).map((r) => r.actId));

    // The dead run's record reached the read models (its ten acts' rows go with it); the next run erases the rest.
    await caughtUp(l);
    const report = await l.services.retentionPurge.run('next');
    expect(report).toMatchObject({ erasedActs: 20, recordedActs: 20, keysDestroyed: 15 });
    const times = await timesRecorded(l);
    for (const id of ids) expect(times.get(id), id).toBe(1);
    // Each record names the stretch of log its acts' failures lie in by sequence, never by position.
    const sequenceOfAct = new Map(acts.map((a) => [a.actId, a.sequence]));
    for (const row of rows.slice(10)) sequenceOfAct.set(row.actId, (await sequence.sequenceOf(row.logPosition))!);
    const records = await purgeRecords(l);
    expect(records.length).toBeGreaterThan(1);
    for (const record of records) {
      expect(record.fromSequence).toBe(sequenceOfAct.get(record.purgedActIds[0]!));
      expect(record.throughSequence).toBe(sequenceOfAct.get(record.purgedActIds.at(-1)!));
    }
    await caughtUp(l);
    for (const id of ids) expect(await rowsAbout(l, id)).toEqual({});
  });

  it('the expiry sweep fails pending acts past their lifetime; an authorized act stays authorized', async () => {
    const time = movableClock();
    const l = await ledger({ LEDGER_ACT_LIFETIME: 'PT1H' }, time.clock);
    const provider = await providerClient(l);
    const waiting = [await provider.register(), await provider.register(), await provider.register()];
    const authorized = await provider.register();
    await provider.authorizeByCode(authorized);
    time.advance(30 * 60_000);
    const fresh = await provider.register();
    await caughtUp(l);
    expect(await l.services.jobs.runNow(EXPIRY_JOB)).toMatchObject({ expiredActs: 0 });

    time.advance(45 * 60_000);
    expect(await l.services.jobs.runNow(EXPIRY_JOB)).toMatchObject({ expiredActs: 3, failures: 0 });
    for (const id of waiting) expect((await l.services.acts.load(id)).state).toMatchObject({ status: 'failed', failure: { reason: 'expired', failedAt: time.clock().toISOString() } });
    expect((await l.services.acts.load(authorized)).state.status).toBe('authorized');
    expect((await l.services.acts.load(fresh)).state.status).toBe('pending');
    await caughtUp(l);
    expect((await l.services.readModels.find<{ actId: string }>('pending_acts')).map((r) => r.actId)).toEqual([fresh]);
    // A sweep run again finds nothing more to do and records nothing.
    const head = await l.services.eventStore.headPosition();
    expect(await l.services.jobs.runNow(EXPIRY_JOB)).toMatchObject({ expiredActs: 0 });
    expect(await l.services.eventStore.headPosition()).toBe(head);
  });

  it('a provider sees only its own failed authorizations; an admin sees all and can filter', async () => {
    const time = movableClock();
    const l = await ledger({ LEDGER_CODE_ATTEMPTS: '1' }, time.clock);
    const tax = await providerClient(l, 'Tax office e-service');
    const land = await providerClient(l, 'Land registry e-service');
    const taxAct = await tax.register();
    await tax.failByWrongCodes(taxAct);
    const landAct = await land.register();
    await land.failByWrongCodes(landAct);
    await caughtUp(l);

    const mine = await tax.call('GET', '/api/v1/failed-authorizations');
    expect(mine.statusCode).toBe(200);
    expect(mine.json()).toEqual({
      retention: 'PT24H',
      failedAuthorizations: [
        { actId: taxAct, providerId: tax.providerId, reason: 'attempts-exhausted', failedAt: time.clock().toISOString(), retainedUntil: new Date(time.clock().getTime() + 24 * HOUR).toISOString() },
      ],
    });
    const all = (await admin(l, 'GET', '/api/v1/admin/failed-authorizations')).json() as { failedAuthorizations: Array<{ actId: string }> };
    expect(all.failedAuthorizations.map((f) => f.actId).sort()).toEqual([taxAct, landAct].sort());
    const filtered = (await admin(l, 'GET', `/api/v1/admin/failed-authorizations?providerId=${land.providerId}`)).json() as { failedAuthorizations: Array<{ actId: string }> };
    expect(filtered.failedAuthorizations.map((f) => f.actId)).toEqual([landAct]);
    expect((await tax.call('GET', '/api/v1/admin/failed-authorizations')).statusCode).toBe(403);
    expect((await l.app.inject({ method: 'GET', url: '/api/v1/failed-authorizations' })).statusCode).toBe(401);
  });

  sharedDataDir('a policy changed in one process reschedules the purge at once in the one that runs the jobs, and holds at the next start', async () => {
    const time = movableClock();
    const env = { LEDGER_DATA_DIR: tempDir() };
    // On one data dir only the holder of the projection lease runs the in-process jobs; the other stands by.
    const first = await ledger(env, time.clock);
    const second = await ledger(env, time.clock);
    expect(first.services.projectionRole().role).toBe('holder');
    expect(second.services.projectionRole().role).toBe('standby');
    expect((await first.services.jobs.scheduleOf(PURGE_JOB))?.everyMs).toBe(5 * 60_000);
    expect(await second.services.jobs.scheduleOf(PURGE_JOB)).toBeUndefined();
    const res = await admin(second, 'PUT', '/api/v1/admin/retention', { failedAuthorizationRetention: 'PT2H', purgeEvery: 'PT30S' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ failedAuthorizationRetention: 'PT2H', purgeEvery: 'PT30S', changedBy: 'admin:bootstrap', reschedule: 'applied' });
    await eventually('the process running the jobs to reschedule', async () => (await first.services.jobs.scheduleOf(PURGE_JOB))?.everyMs === 30_000, 5_000);
    expect(await second.services.jobs.scheduleOf(PURGE_JOB)).toBeUndefined();

    await first.close();
    await second.close();
    open.length = 0;
    const restarted = await ledger(env, time.clock);
    expect((await restarted.services.jobs.scheduleOf(PURGE_JOB))?.everyMs).toBe(30_000);
    expect((await admin(restarted, 'GET', '/api/v1/admin/retention')).json()).toMatchObject({ failedAuthorizationRetention: 'PT2H', purgeEvery: 'PT30S' });
  });

  sharedDataDir('ledger purge --dry-run lists what would be erased and touches nothing; ledger purge erases it', async () => {
    const dataDir = tempDir();
    const l = await ledgerWithClock({ LEDGER_DATA_DIR: dataDir }, () => new Date());
    const old = await appendFailedActs(l.services, { count: 3, providerId: 'p-seeded', failedAt: new Date(Date.now() - 25 * HOUR), reason: 'cancelled' });
    await appendFailedActs(l.services, { count: 2, providerId: 'p-seeded', failedAt: new Date(Date.now() - HOUR) });
    await caughtUp(l);
    await l.close();

    const env = { ...process.env, LEDGER_DATA_DIR: dataDir, LEDGER_ADMIN_TOKEN: 'cli-test', LOG_LEVEL: 'warn' };
    const snapshot = () => {
      const db = new Database(join(dataDir, 'ledger.sqlite'), { readonly: true });
      try {
        return { events: db.prepare('SELECT * FROM events').all(), keys: db.prepare('SELECT key_id FROM data_keys ORDER BY key_id').all() };
      } finally {
        db.close();
      }
    };
    const before = snapshot();
    const dry = await run(process.execPath, ['bin/ledger.mjs', 'purge', '--dry-run', '--json'], { cwd: ROOT, env });
    expect(JSON.parse(dry.stdout)).toMatchObject({ retention: 'PT24H', count: 3, byReason: { cancelled: 3 }, truncated: false });
    expect((JSON.parse(dry.stdout) as { actIds: string[] }).actIds.sort()).toEqual([...old].sort());
    expect(snapshot()).toEqual(before);
    const text = await run(process.execPath, ['bin/ledger.mjs', 'purge', '--dry-run'], { cwd: ROOT, env });
    expect(text.stdout).toContain('3 failed authorizations would be erased now (retention PT24H');

    const done = await run(process.execPath, ['bin/ledger.mjs', 'purge'], { cwd: ROOT, env });
    expect(done.stdout).toContain('erased 3 failed authorizations');
    expect(snapshot().keys).toHaveLength(before.keys.length - 3);
    const again = await run(process.execPath, ['bin/ledger.mjs', 'purge', '--dry-run', '--json'], { cwd: ROOT, env });
    expect(JSON.parse(again.stdout)).toMatchObject({ count: 0, actIds: [] });
    const reopened = await ledger({ LEDGER_DATA_DIR: dataDir }, () => new Date());
    expect((await purgeRecords(reopened)).flatMap((r) => r.purgedActIds).sort()).toEqual([...old].sort());
  }, 120_000);
});
