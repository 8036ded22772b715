import { MongoClient, type Db, type WriteConcernSettings } from 'mongodb';

/** One client for every MongoDB adapter of a process (read models, key vault, citizen registry). */
export interface MongoConnection {
  client: MongoClient;
  db: Db;
  close(): Promise<void>;
}

/** Acknowledged only once a majority of the replica set has it in its journal: it survives the loss of the primary and kill -9. */
export const DURABLE: WriteConcernSettings = { w: 'majority', journal: true };

export const DUPLICATE_KEY = 11000;

/** Raised at start when the deployment cannot run the adapters' transactions. */
export class MongoDeploymentError extends Error {
  override readonly name = 'MongoDeploymentError';
}

/**
 * Connects to `url` (the database the URL names, unless `database` is given) and checks that the
 * deployment is a replica set or a sharded cluster: a standalone server refuses every transaction,
 * and the driver would retry them for ever instead of saying so.
 */
export async function connectMongo(url: string, options: { database?: string } = {}): Promise<MongoConnection> {
  const client = new MongoClient(url, { ignoreUndefined: true });
  try {
    await client.connect();
    const hello = await client.db('admin').command({ hello: 1 });
    // `setName` is answered by replica-set members only; a mongos router answers msg "isdbgrid".
    if (typeof hello.setName !== 'string' && hello.msg !== 'isdbgrid') {
      throw new MongoDeploymentError(
        'MongoDB at MONGODB_URL is a standalone server: the ledger needs a replica set (transactions). Start mongod with --replSet and run rs.initiate(), or point MONGODB_URL at a replica set',
      );
    }
  } catch (error) {
    await client.close().catch(() => undefined);
    throw error;
  }
  return { client, db: client.db(options.database), close: () => client.close() };
}
