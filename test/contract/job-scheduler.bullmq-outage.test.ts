import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BullmqJobScheduler } from '../../src/adapters/bullmq/job-scheduler.ts';
import { JobBackendUnavailableError } from '../../src/ports/job-scheduler.ts';
import { createLogger } from '../../src/logger.ts';
import { testLedger } from '../support/ledger.ts';
import { privateRedisForTests, startRedis, type PrivateRedis } from '../support/redis.ts';
import { RunRecorder, sleep, waitFor } from './job-scheduler.contract.ts';

// Decided once up front: skip (or fail under LEDGER_REQUIRE_REDIS=1) when no redis-server can start here.
const probe = await privateRedisForTests();
await probe?.dispose();

/** Log lines the scheduler wrote, parsed. */
function capturedLogger() {
  const lines: Array<{ level: number; msg: string }> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as { level: number; msg: string });
      done();
    },
  });
  return { logger: createLogger('info', sink), lines };
}

describe.runIf(probe)('BullMQ job scheduler: Redis stopped mid-run and started again', () => {
  let redis: PrivateRedis | undefined;
  let jobs: BullmqJobScheduler | undefined;
  const escaped: unknown[] = [];
  const onEscape = (error: unknown) => escaped.push(error);

  beforeEach(() => {
    escaped.length = 0;
    process.on('unhandledRejection', onEscape);
    process.on('uncaughtException', onEscape);
  });
  afterEach(async () => {
    await jobs?.close();
    await redis?.dispose();
    process.removeListener('unhandledRejection', onEscape);
    process.removeListener('uncaughtException', onEscape);
  });

  const outages = [
    { persist: false, changeWhileDown: false, kind: 'empty (no persistence): the schedule is put back' },
    { persist: true, changeWhileDown: false, kind: 'with its data (append-only file)' },
    { persist: true, changeWhileDown: true, kind: 'with its data, and applies the interval set while it was down' },
  ];
  for (const { persist, changeWhileDown, kind } of outages) {
    it(`throws nothing into the process while Redis is down, and runs the job again once Redis is back ${kind}`, async () => {
      redis = await startRedis({ persist });
      const log = capturedLogger();
      jobs = new BullmqJobScheduler({ redisUrl: redis.url, watchEveryMs: 300, operationTimeoutMs: 1_000, closeTimeoutMs: 1_000, logger: log.logger });
      const job = new RunRecorder(50);
      await jobs.schedule('purge', 300, job.run);
      await waitFor('runs before the outage', () => job.count >= 2, 5_000);

      await redis.stop();
      await waitFor('the run in flight to end', () => job.active === 0, 2_000);
      const atOutage = job.count;

      // Callers get a prompt, typed refusal instead of a hang; readiness says Redis is away.
      const asked = Date.now();
      await expect(jobs.runNow('purge')).rejects.toBeInstanceOf(JobBackendUnavailableError);
      if (changeWhileDown) await expect(jobs.schedule('purge', 200, job.run)).rejects.toBeInstanceOf(JobBackendUnavailableError);
      expect(Date.now() - asked).toBeLessThan(4_000);
      expect(await jobs.ping()).toMatchObject({ ok: false });
      await sleep(2_500);
      expect(job.count).toBe(atOutage);

      await redis.start();
      await waitFor('runs after Redis came back', () => job.count >= atOutage + 3, 20_000);
      expect(await jobs.ping()).toMatchObject({ ok: true });
      expect((await jobs.scheduleOf('purge'))?.everyMs).toBe(changeWhileDown ? 200 : 300);
      expect(job.maxActive).toBe(1);
      expect(escaped).toEqual([]);
      // The outage was reported, but as a few lines, not one per reconnect attempt.
      const warnings = log.lines.filter((line) => line.level >= 40);
      expect(warnings.length).toBeGreaterThan(0);
      expect(warnings.length).toBeLessThan(30);
    });
  }

  it('keeps the API answering while Redis is down; readiness names Redis as the part missing', async () => {
    redis = await startRedis();
    const ledger = await testLedger({ LEDGER_JOBS: 'bullmq', REDIS_URL: redis.url });
    try {
      const ready = await ledger.app.inject({ method: 'GET', url: '/readyz' });
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toMatchObject({ checks: { redis: { ok: true } } });

      await redis.stop();
      const down = await ledger.app.inject({ method: 'GET', url: '/readyz' });
      expect(down.statusCode).toBe(503);
      expect(down.json()).toMatchObject({ status: 'not-ready', checks: { redis: { ok: false }, eventStore: { ok: true } } });
      expect((await ledger.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      expect((await ledger.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).statusCode).toBe(200);

      await redis.start();
      let readyAgain = false;
      const deadline = Date.now() + 10_000;
      while (!readyAgain && Date.now() < deadline) {
        readyAgain = (await ledger.app.inject({ method: 'GET', url: '/readyz' })).statusCode === 200;
        if (!readyAgain) await sleep(200);
      }
      expect(readyAgain).toBe(true);
    } finally {
      await ledger.close();
    }
    expect(escaped).toEqual([]);
  });

  it('closes within bounds while Redis is down, after the run in flight has finished', async () => {
    redis = await startRedis();
    jobs = new BullmqJobScheduler({ redisUrl: redis.url, operationTimeoutMs: 1_000, closeTimeoutMs: 1_000 });
    const job = new RunRecorder(800);
    await jobs.schedule('purge', 60_000, job.run);
    await waitFor('a run in flight', () => job.active === 1, 5_000);
    await redis.stop();
    const closing = Date.now();
    await jobs.close();
    jobs = undefined;
    expect(job.finished).toBe(1);
    expect(Date.now() - closing).toBeLessThan(8_000);
    expect(escaped).toEqual([]);
  });
});
