import { randomBytes } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { describe, it } from 'vitest';
import { MongoProjectionLease } from '../../src/adapters/mongodb/projection-lease.ts';
import { MongoReadModelStore } from '../../src/adapters/mongodb/read-model-store.ts';
import { projectionLeaseContract } from './projection-lease.contract.ts';

// MongoDB runs under docker compose (a replica set: the read-model store writes in transactions).
const url = process.env.MONGODB_URL;

if (url) {
  projectionLeaseContract('MongoDB', async () => {
    const database = `ledger_lease_${randomBytes(6).toString('hex')}`;
    const first = await MongoProjectionLease.connect(url, { database });
    const second = await MongoProjectionLease.connect(url, { database });
    const readModels = await MongoReadModelStore.connect(url, { database });
    return {
      first,
      second,
      readModels,
      cleanup: async () => {
        await Promise.all([first.close(), second.close(), readModels.close()]);
        const client = await MongoClient.connect(url);
        try {
          await client.db(database).dropDatabase();
        } finally {
          await client.close();
        }
      },
    };
  });
} else {
  describe('ProjectionLease contract: MongoDB', () => {
    console.log('SKIPPED: MongoDB projection-lease contract suite (set MONGODB_URL to run it)');
    it.skip('SKIPPED: MongoDB projection-lease contract suite (set MONGODB_URL to run it)', () => {});
  });
}
