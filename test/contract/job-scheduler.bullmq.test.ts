import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { BullmqJobScheduler } from '../../src/adapters/bullmq/job-scheduler.ts';
import { redisForTests } from '../support/redis.ts';
import { jobSchedulerContract, RunRecorder, waitFor } from './job-scheduler.contract.ts';

const redis = await redisForTests();
afterAll(async () => {
  await redis?.dispose();
});

/** Removes every key under `prefix`, so a shared REDIS_URL keeps only what others put there. */
async function dropKeys(url: string, prefix: string): Promise<void> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await client.del(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}

if (redis) {
  const { url } = redis;
  jobSchedulerContract(
    'BullMQ on Redis',
    async () => {
      // A prefix per test: each test sees a backend of its own, even on a shared Redis.
      const prefix = `ledger-test-${randomUUID().slice(0, 8)}`;
      const opened: BullmqJobScheduler[] = [];
      return {
        open: async () => {
          const jobs = new BullmqJobScheduler({ redisUrl: url, prefix, watchEveryMs: 500 });
          opened.push(jobs);
          return jobs;
        },
        cleanup: async () => {
          await Promise.all(opened.map((jobs) => jobs.close()));
          await dropKeys(url, prefix);
        },
      };
    },
    { sharedAcrossInstances: true },
  );

  describe('BullMQ job scheduler: an API process that only sets schedules', () => {
    it('changes the interval the worker process runs at, and gets the summary of the worker run from runNow', async () => {
      const prefix = `ledger-test-${randomUUID().slice(0, 8)}`;
      const worker = new BullmqJobScheduler({ redisUrl: url, prefix });
      const api = new BullmqJobScheduler({ redisUrl: url, prefix, runJobs: false });
      const ranInWorker = new RunRecorder();
      const ranInApi = new RunRecorder();
      try {
        await worker.schedule('purge', 60_000, ranInWorker.run);
        await waitFor('the first run', () => ranInWorker.count === 1, 3_000);
        await api.schedule('purge', 150, ranInApi.run);
        await waitFor('runs at the interval the API set', () => ranInWorker.count >= 5, 4_000);
        expect(await api.runNow('purge')).toMatchObject({ trigger: 'manual' });
        expect(ranInApi.count).toBe(0);
      } finally {
        await Promise.all([worker.close(), api.close()]);
        await dropKeys(url, prefix);
      }
    });
  });

  describe('BullMQ job scheduler: readiness', () => {
    it('reports Redis answering, and not answering at an address where nothing listens', async () => {
      const up = new BullmqJobScheduler({ redisUrl: url, prefix: `ledger-test-${randomUUID().slice(0, 8)}` });
      const down = new BullmqJobScheduler({ redisUrl: 'redis://127.0.0.1:1', operationTimeoutMs: 500, closeTimeoutMs: 500 });
      try {
        expect(await up.ping()).toMatchObject({ ok: true });
        expect(await down.ping()).toMatchObject({ ok: false });
      } finally {
        await Promise.all([up.close(), down.close()]);
      }
    });
  });
} else {
  describe('BullMQ job scheduler', () => {
    it.skip('SKIPPED: no Redis (set REDIS_URL or install redis-server)', () => undefined);
  });
}
