import { randomBytes } from 'node:crypto';
import { describe, it } from 'vitest';
import { connectMongo, type MongoConnection } from '../../src/adapters/mongodb/connection.ts';
import { MongoCitizenRegistry } from '../../src/adapters/mongodb/citizen-registry.ts';
import { citizenRegistryContract } from './citizen-registry.contract.ts';

// MongoDB runs under docker compose (a replica set).
const url = process.env.MONGODB_URL;

if (url) {
  citizenRegistryContract('MongoDB', async () => {
    const database = `ledger_contract_${randomBytes(6).toString('hex')}`;
    const connections: MongoConnection[] = [await connectMongo(url, { database })];
    return {
      registry: await MongoCitizenRegistry.open(connections[0]!.db),
      // A client of its own, as another process would have.
      another: async () => {
        const connection = await connectMongo(url, { database });
        connections.push(connection);
        return MongoCitizenRegistry.open(connection.db);
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
  describe('CitizenRegistry contract: MongoDB', () => {
    console.log('SKIPPED: MongoDB citizen-registry contract suite (set MONGODB_URL to run it)');
    it.skip('SKIPPED: MongoDB citizen-registry contract suite (set MONGODB_URL to run it)', () => {});
  });
}
