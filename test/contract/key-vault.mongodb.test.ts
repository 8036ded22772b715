import { randomBytes } from 'node:crypto';
import { describe, it } from 'vitest';
import { connectMongo, type MongoConnection } from '../../src/adapters/mongodb/connection.ts';
import { MongoKeyVault } from '../../src/adapters/mongodb/key-vault.ts';
import { keyVaultContract } from './key-vault.contract.ts';

// MongoDB runs under docker compose (a replica set).
const url = process.env.MONGODB_URL;

if (url) {
  keyVaultContract('MongoDB', async () => {
    const database = `ledger_contract_${randomBytes(6).toString('hex')}`;
    const connections: MongoConnection[] = [await connectMongo(url, { database })];
    return {
      vault: new MongoKeyVault(connections[0]!.db),
      // A client of its own, as another process would have.
      another: async () => {
        const connection = await connectMongo(url, { database });
        connections.push(connection);
        return new MongoKeyVault(connection.db);
      },
      cleanup: async () => {
        try {
          await connections[0]!.db.dropDatabase();
        } finally {
          for (const c of connections.splice(0)) await c.close();
        }
      },
    };
  });
} else {
  describe('KeyVault contract: MongoDB', () => {
    console.log('SKIPPED: MongoDB key-vault contract suite (set MONGODB_URL to run it)');
    it.skip('SKIPPED: MongoDB key-vault contract suite (set MONGODB_URL to run it)', () => {});
  });
}
