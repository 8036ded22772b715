import { randomBytes } from 'node:crypto';
import { describe, it } from 'vitest';
import { connectMongo } from '../../src/adapters/mongodb/connection.ts';
import { MongoReadModelStore } from '../../src/adapters/mongodb/read-model-store.ts';
import { readModelStoreContract } from './read-model-store.contract.ts';

// MongoDB runs under docker compose (a replica set: the adapter writes in transactions).
const url = process.env.MONGODB_URL;

if (url) {
  readModelStoreContract('MongoDB', async () => {
    const database = `ledger_contract_${randomBytes(6).toString('hex')}`;
    let store = await MongoReadModelStore.connect(url, { database });
    const others: MongoReadModelStore[] = [];
    return {
      store,
      reopen: async () => {
        await store.close();
        store = await MongoReadModelStore.connect(url, { database });
        return store;
      },
      // A client of its own, as another process would have.
      another: async () => {
        const other = await MongoReadModelStore.connect(url, { database });
        others.push(other);
        return other;
      },
      cleanup: async () => {
        for (const other of others.splice(0)) await other.close();
        await store.close();
        const connection = await connectMongo(url, { database });
        try {
          await connection.db.dropDatabase();
        } finally {
          await connection.close();
        }
      },
    };
  });
} else {
  describe('ReadModelStore contract: MongoDB', () => {
    console.log('SKIPPED: MongoDB read-model contract suite (set MONGODB_URL to run it)');
    it.skip('SKIPPED: MongoDB read-model contract suite (set MONGODB_URL to run it)', () => {});
  });
}
