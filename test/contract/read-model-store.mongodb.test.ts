import { randomBytes } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { describe, it } from 'vitest';
import { MongoReadModelStore } from '../../src/adapters/mongodb/read-model-store.ts';
import { readModelStoreContract } from './read-model-store.contract.ts';

// MongoDB runs under docker compose (a replica set: the adapter writes in transactions).
const url = process.env.MONGODB_URL;

if (url) {
  readModelStoreContract('MongoDB', async () => {
    const database = `ledger_contract_${randomBytes(6).toString('hex')}`;
    let store = await MongoReadModelStore.connect(url, { database });
    return {
      store,
      reopen: async () => {
        await store.close();
        store = await MongoReadModelStore.connect(url, { database });
        return store;
      },
      cleanup: async () => {
        await store.close();
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
  describe('ReadModelStore contract: MongoDB', () => {
    console.log('SKIPPED: MongoDB read-model contract suite (set MONGODB_URL to run it)');
    it.skip('SKIPPED: MongoDB read-model contract suite (set MONGODB_URL to run it)', () => {});
  });
}
