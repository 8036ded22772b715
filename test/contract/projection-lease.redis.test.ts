import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, it } from 'vitest';
import { openSqlite } from '../../src/adapters/sqlite/database.ts';
import { RedisProjectionLease } from '../../src/adapters/redis/projection-lease.ts';
import { SqliteReadModelStore } from '../../src/adapters/sqlite/read-model-store.ts';
import { redisForTests } from '../support/redis.ts';
import { projectionLeaseContract } from './projection-lease.contract.ts';

const redis = await redisForTests();
afterAll(async () => {
  await redis?.dispose();
});

if (redis) {
  const { url } = redis;
  // Two clients, as two processes have; a prefix of the run's own keeps a shared REDIS_URL clean.
  projectionLeaseContract('Redis', async () => {
    const prefix = `lease-test-${randomBytes(4).toString('hex')}`;
    const first = new RedisProjectionLease({ redisUrl: url, prefix });
    const second = new RedisProjectionLease({ redisUrl: url, prefix });
    // The fence lives with the read models, whichever backend holds the lease.
    const db = openSqlite(':memory:');
    return {
      first,
      second,
      readModels: new SqliteReadModelStore(db),
      cleanup: async () => {
        await first.close();
        await second.close();
        db.close();
        const client = new Redis(url, { maxRetriesPerRequest: 1 });
        try {
          const keys = await client.keys(`${prefix}:*`);
          if (keys.length > 0) await client.del(...keys);
        } finally {
          client.disconnect();
        }
      },
    };
  });
} else {
  describe('ProjectionLease contract: Redis', () => {
    it.skip('SKIPPED: Redis projection-lease contract suite (no Redis)', () => {});
  });
}
