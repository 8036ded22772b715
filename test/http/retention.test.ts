import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamNames } from '../../events/envelope.ts';
import { projections } from '../../projections/index.ts';
import type { Ledger } from '../../src/composition/ledger.ts';
import { EXPIRY_JOB, PURGE_JOB } from '../../src/app/retention/background-jobs.ts';
import { appendFailedActs } from '../../bench/failed-acts.ts';
import { privateRedisForTests, startRedis, type PrivateRedis } from '../support/redis.ts';
import { HOUR, admin, caughtUp, eventually, ledgerWithClock, movableClock, providerClient, purgeRecords, rowsAbout, timesRecorded } from '../support/retention-ledger.ts';
import { storedEvents } from '../support/stored-events.ts';

// Decided once up front: skip (or fail under LEDGER_REQUIRE_REDIS=1) when no redis-server can start here.
const probe = await privateRedisForTests();
await probe?.dispose();

/** Every row of the events table, as stored, whatever the file's layout. */
function rawEvents(ledger: Ledger): Array<Record<string, unknown>> {
  const db = new Database(join(ledger.services.config.dataDir, 'ledger.sqlite'), { readonly: true });
  try {
    return db.prepare('SELECT * FROM events ORDER BY position').all() as Array<Record<string, unknown>>;
  } finally {
    db.close();
  }
}

const failedIds = async (ledger: Ledger) =>
  ((await admin(ledger, 'GET', '/api/v1/admin/failed-authorizations?limit=1000')).json() as { failedAuthorizations: Array<{ actId: string }> }).failedAuthorizations.map((f) => f.actId);

describe.runIf(probe)('retention on BullMQ with a real Redis', () => {
  let redis: PrivateRedis;
  let ledger: Ledger;
  const time = movableClock();
  const acts: Record<'failedByCodes' | 'expired' | 'authorized' | 'pending' | 'recentlyFailed', string> = {} as never;

  beforeAll(async () => {
    redis = await startRedis();
    ledger = await ledgerWithClock({ LEDGER_JOBS: 'bullmq', REDIS_URL: redis.url, LEDGER_CODE_ATTEMPTS: '1', LEDGER_ACT_LIFETIME: 'PT1H' }, time.clock);
  });
  afterAll(async () => {
    await ledger?.close();
    await redis?.dispose();
  });

  it('erases failed acts older than the retention: gone from the read models, sealed data unreadable, events byte for byte', async () => {
    const provider = await providerClient(ledger);
    acts.failedByCodes = await provider.register();
    await provider.failByWrongCodes(acts.failedByCodes);
    acts.expired = await provider.register();
    acts.authorized = await provider.register();
    await provider.authorizeByCode(acts.authorized);

    // Two hours on, the expiry sweep fails the act nobody finished.
    time.advance(2 * HOUR);
    expect(await ledger.services.jobs.runNow(EXPIRY_JOB)).toMatchObject({ expiredActs: 1 });
    expect((await ledger.services.acts.load(acts.expired)).state).toMatchObject({ status: 'failed', failure: { reason: 'expired' } });
    await caughtUp(ledger);
    expect((await failedIds(ledger)).sort()).toEqual([acts.failedByCodes, acts.expired].sort());
    const seen = await provider.call('GET', '/api/v1/failed-authorizations');
    expect(seen.json()).toMatchObject({ retention: 'PT24H', failedAuthorizations: [{ actId: acts.expired, reason: 'expired' }, { actId: acts.failedByCodes, reason: 'attempts-exhausted' }] });

    // A day later both are past the 24 h retention; a new pending act and a fresh failure are not.
    time.advance(24 * HOUR + 60_000);
    acts.pending = await provider.register();
    acts.recentlyFailed = await provider.register();
    await provider.failByWrongCodes(acts.recentlyFailed);
    await caughtUp(ledger);
    const before = rawEvents(ledger);
    for (const id of Object.values(acts)) expect((await ledger.services.acts.load(id)).state.name).toBe('Tax return 2026');

    const summary = await ledger.services.jobs.runNow(PURGE_JOB);
    expect(summary).toMatchObject({ recordedActs: 2, erasedActs: 2, keysDestroyed: 2, retention: 'PT24H' });

    const erased = [acts.failedByCodes, acts.expired];
    const kept = [acts.authorized, acts.pending, acts.recentlyFailed];
    await caughtUp(ledger);
    expect(await failedIds(ledger)).toEqual([acts.recentlyFailed]);
    for (const id of erased) {
      expect(await rowsAbout(ledger, id)).toEqual({});
      expect(await ledger.services.keyVault.get(id)).toBeUndefined();
      const { state } = await ledger.services.acts.load(id);
      // Still failed, for whoever asks; what it was and who it was for can no longer be read.
      expect(state).toMatchObject({ status: 'failed' });
      for (const personal of ['sepp', 'aifo', 'documentHash', 'name', 'description'] as const) expect(state[personal]).toBeUndefined();
    }
    for (const id of kept) {
      expect(await ledger.services.keyVault.get(id)).toBeDefined();
      expect((await ledger.services.acts.load(id)).state.name).toBe('Tax return 2026');
    }
    expect((await ledger.services.acts.load(acts.authorized)).state.status).toBe('authorized');
    expect(await rowsAbout(ledger, acts.pending)).toMatchObject({ pending_acts: 1 });
    expect(await rowsAbout(ledger, acts.recentlyFailed)).toMatchObject({ failed_authorizations: 1 });

    // The log kept every byte; the purge only added its own record.
    const after = rawEvents(ledger);
    expect(after.slice(0, before.length)).toEqual(before);
    const added = storedEvents(join(ledger.services.config.dataDir, 'ledger.sqlite')).slice(before.length);
    expect(added.map((e) => [e.streamName, e.type])).toEqual([[streamNames.retention, 'RetentionPurgeExecuted']]);
    expect(await purgeRecords(ledger)).toEqual([expect.objectContaining({ purgedActIds: expect.arrayContaining(erased) })]);

    // Run again: nothing more to erase, nothing recorded twice.
    expect(await ledger.services.jobs.runNow(PURGE_JOB)).toMatchObject({ recordedActs: 0, erasedActs: 0 });
    expect(rawEvents(ledger)).toHaveLength(after.length);
  });

  it('a replay of every event after the purge rebuilds the read models without the purged acts', async () => {
    const collections = projections.flatMap((p) => p.collections.map((c) => c.name));
    const live = Object.fromEntries(await Promise.all(collections.map(async (c) => [c, await ledger.services.readModels.find(c)] as const)));
    for (const p of projections) await ledger.services.projections.rebuild(p.name);
    for (const c of collections) expect(await ledger.services.readModels.find(c), c).toEqual(live[c]);
    for (const id of [acts.failedByCodes, acts.expired]) expect(await rowsAbout(ledger, id)).toEqual({});
    expect(await failedIds(ledger)).toEqual([acts.recentlyFailed]);
  });

  it('a retention changed through the admin API takes effect at once, without a restart, and is recorded in the retention stream', async () => {
    expect((await admin(ledger, 'GET', '/api/v1/admin/retention')).json()).toEqual({ failedAuthorizationRetention: 'PT24H', purgeEvery: 'PT5M', purgedActs: 2, lastPurgeAt: time.clock().toISOString() });
    time.advance(2 * HOUR);
    expect(await ledger.services.jobs.runNow(PURGE_JOB)).toMatchObject({ recordedActs: 0 });

    const changedAt = time.clock().toISOString();
    const res = await admin(ledger, 'PUT', '/api/v1/admin/retention', { failedAuthorizationRetention: 'PT1H', purgeEvery: 'PT10S' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ failedAuthorizationRetention: 'PT1H', purgeEvery: 'PT10S', changedAt, changedBy: 'admin:bootstrap', reschedule: 'applied' });
    // The interval lives in Redis; the new one starts a run at once, under the new retention.
    expect((await ledger.services.jobs.scheduleOf(PURGE_JOB))?.everyMs).toBe(10_000);
    await eventually('the act failed two hours ago to be erased', async () => (await failedIds(ledger)).length === 0, 10_000);
    expect(await ledger.services.keyVault.get(acts.recentlyFailed)).toBeUndefined();

    const changes = (await ledger.services.eventStore.readStream(streamNames.retention)).filter((e) => e.type === 'RetentionPolicyChanged');
    expect(changes.map((e) => e.data)).toEqual([
      { by: 'admin:bootstrap', old: { failedAuthorizationRetentionMs: 24 * HOUR, purgeEveryMs: 300_000 }, new: { failedAuthorizationRetentionMs: HOUR, purgeEveryMs: 10_000 }, changedAt },
    ]);
    expect(changes[0]!.metadata).toMatchObject({ actor: 'admin:bootstrap', occurredAt: changedAt });
    expect((await admin(ledger, 'GET', '/api/v1/admin/retention')).json()).toMatchObject({ failedAuthorizationRetention: 'PT1H', purgeEvery: 'PT10S', changedAt, changedBy: 'admin:bootstrap' });

    // Out of bounds or not a duration: refused as problem+json, nothing recorded.
    const streamLength = (await ledger.services.eventStore.readStream(streamNames.retention)).length;
    for (const [body, field] of [
      [{ failedAuthorizationRetention: 'PT30S', purgeEvery: 'PT10S' }, 'failedAuthorizationRetention'],
      [{ failedAuthorizationRetention: 'PT1H', purgeEvery: 'P2D' }, 'purgeEvery'],
      [{ failedAuthorizationRetention: 'soon', purgeEvery: 'PT10S' }, 'failedAuthorizationRetention'],
      [{ purgeEvery: 'PT10S' }, undefined],
    ] as const) {
      const refused = await admin(ledger, 'PUT', '/api/v1/admin/retention', body);
      expect(refused.statusCode, JSON.stringify(body)).toBe(400);
      expect(refused.headers['content-type']).toContain('application/problem+json');
      expect(refused.json()).toMatchObject({ type: 'urn:problem:act-ledger:invalid-retention-policy', ...(field ? { field } : {}) });
    }
    expect(await ledger.services.eventStore.readStream(streamNames.retention)).toHaveLength(streamLength);
  });

  it('at start the purge is scheduled with the policy in force, not the configured default', async () => {
    const dataDir = ledger.services.config.dataDir;
    await ledger.close();
    // An empty Redis: the interval can only come from the retention stream.
    await redis.stop();
    await redis.start();
    ledger = await ledgerWithClock({ LEDGER_DATA_DIR: dataDir, LEDGER_JOBS: 'bullmq', REDIS_URL: redis.url }, time.clock);
    expect((await ledger.services.jobs.scheduleOf(PURGE_JOB))?.everyMs).toBe(10_000);
  });
});

describe.runIf(probe)('retention when Redis stops mid-run', () => {
  let redis: PrivateRedis | undefined;
  let ledger: Ledger | undefined;
  afterAll(async () => {
    await ledger?.close();
    await redis?.dispose();
  });

  it('the API keeps answering, the purge resumes when Redis is back, and no act is purged twice or skipped', async () => {
    redis = await startRedis();
    const time = movableClock();
    ledger = await ledgerWithClock({ LEDGER_JOBS: 'bullmq', REDIS_URL: redis.url, LEDGER_PURGE_BATCH_SIZE: '20' }, time.clock);
    const l = ledger;
    const provider = await providerClient(l);
    const early = await appendFailedActs(l.services, { count: 4000, providerId: provider.providerId, failedAt: time.clock() });
    time.advance(2 * HOUR);
    const later = await appendFailedActs(l.services, { count: 300, providerId: provider.providerId, failedAt: time.clock() });
    await caughtUp(l);

    // A one-hour retention makes the early acts due; its new interval starts a run at once.
    expect((await admin(l, 'PUT', '/api/v1/admin/retention', { failedAuthorizationRetention: 'PT1H', purgeEvery: 'PT10S' })).statusCode).toBe(200);
    await eventually('the run to record its first batch', async () => (await purgeRecords(l)).length > 0, 10_000);
    await redis.stop();
    const recordedAtStop = (await purgeRecords(l)).flatMap((r) => r.purgedActIds).length;
    expect(recordedAtStop, 'Redis stopped only after the run had finished').toBeLessThan(early.length);

    // Redis is away: the API answers; readiness names Redis; a policy change is recorded and waits for it.
    expect((await admin(l, 'GET', '/api/v1/admin/retention')).statusCode).toBe(200);
    expect((await provider.call('GET', '/api/v1/failed-authorizations')).statusCode).toBe(200);
    const ready = await l.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ checks: { redis: { ok: false } } });
    const whileDown = await admin(l, 'PUT', '/api/v1/admin/retention', { failedAuthorizationRetention: 'PT1H', purgeEvery: 'PT11S' });
    expect(whileDown.statusCode, whileDown.body).toBe(202);
    expect(whileDown.json()).toMatchObject({ purgeEvery: 'PT11S', reschedule: 'pending' });

    // The later acts fall due while Redis is away: only a run after it is back can erase them.
    time.advance(2 * HOUR);
    await redis.start();
    await eventually('the purge to resume and erase every due act', async () => {
      await caughtUp(l);
      return (await failedIds(l)).length === 0;
    }, 30_000);
    expect((await l.services.jobs.scheduleOf(PURGE_JOB))?.everyMs).toBe(11_000);

    const times = await timesRecorded(l);
    expect(times.size).toBe(early.length + later.length);
    for (const id of [...early, ...later]) {
      expect(times.get(id), id).toBe(1);
      expect(await l.services.keyVault.get(id)).toBeUndefined();
    }
  }, 90_000);
});
