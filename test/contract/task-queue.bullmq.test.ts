import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { BullmqTaskQueue } from '../../src/adapters/bullmq/task-queue.ts';
import { TaskQueueUnavailableError } from '../../src/ports/task-queue.ts';
import { redisForTests } from '../support/redis.ts';
import { taskQueueContract } from './task-queue.contract.ts';

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
  taskQueueContract(
    'BullMQ on Redis',
    async () => {
      // A prefix per test: each test sees a backend of its own, even on a shared Redis.
      const prefix = `ledger-test-${randomUUID().slice(0, 8)}`;
      const opened: BullmqTaskQueue[] = [];
      return {
        open: async () => {
          const tasks = new BullmqTaskQueue({ redisUrl: url, prefix });
          opened.push(tasks);
          return tasks;
        },
        cleanup: async () => {
          await Promise.all(opened.map((tasks) => tasks.close()));
          await dropKeys(url, prefix);
        },
      };
    },
    { sharedAcrossInstances: true },
  );

  describe('BullMQ task queue: Redis', () => {
    it('keeps nothing of a finished task', async () => {
      const prefix = `ledger-test-${randomUUID().slice(0, 8)}`;
      const tasks = new BullmqTaskQueue({ redisUrl: url, prefix });
      const client = new Redis(url, { maxRetriesPerRequest: 1 });
      try {
        let done = false;
        tasks.process('deliveries', async () => {
          done = true;
        });
        await tasks.enqueue('deliveries', 'gone-after', { actId: 'a-1' });
        const deadline = Date.now() + 5_000;
        while (!done && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(await client.exists(`${prefix}:deliveries:gone-after`)).toBe(0);
      } finally {
        client.disconnect();
        await tasks.close();
        await dropKeys(url, prefix);
      }
    });

    it('a task whose worker process was killed mid-run is taken over by another worker, as run 2', async () => {
      const prefix = `ledger-test-${randomUUID().slice(0, 8)}`;
      const script = fileURLToPath(new URL('../support/task-worker-process.mjs', import.meta.url));
      const child = spawn(process.execPath, [script, url, prefix, 'deliveries'], { stdio: ['ignore', 'pipe', 'inherit'] });
      const lines = createInterface({ input: child.stdout! });
      const nextLine = () => new Promise<string>((resolve) => lines.once('line', resolve));
      const tasks = new BullmqTaskQueue({ redisUrl: url, prefix, lockDurationMs: 1_000, stalledIntervalMs: 500 });
      try {
        expect(await nextLine()).toBe('ready');
        const started = nextLine();
        await tasks.enqueue('deliveries', 'orphaned', { actId: 'a-1' });
        expect(await started).toBe('started orphaned 1');
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
        const runs: number[] = [];
        tasks.process('deliveries', async (task) => {
          runs.push(task.run);
        });
        const deadline = Date.now() + 15_000;
        while (runs.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
        expect(runs).toEqual([2]);
      } finally {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await tasks.close();
        await dropKeys(url, prefix);
      }
    }, 30_000);

    it('refuses an enqueue at once when Redis does not answer', async () => {
      const tasks = new BullmqTaskQueue({ redisUrl: 'redis://127.0.0.1:1', operationTimeoutMs: 500, closeTimeoutMs: 500 });
      try {
        const started = Date.now();
        await expect(tasks.enqueue('deliveries', 'nowhere', {})).rejects.toBeInstanceOf(TaskQueueUnavailableError);
        expect(Date.now() - started).toBeLessThan(3_000);
      } finally {
        await tasks.close();
      }
    });
  });
} else {
  describe('BullMQ task queue', () => {
    it.skip('SKIPPED: no Redis (set REDIS_URL or install redis-server)', () => undefined);
  });
}
