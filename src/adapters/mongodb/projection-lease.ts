import { MongoClient, MongoServerError, type Collection, type Db } from 'mongodb';
import { assertLease, type LeaseGrant, type LeaseHolder, type ProjectionLease } from '../../ports/projection-lease.ts';

interface LeaseDoc {
  _id: string;
  holder: string | null;
  token: number;
  expiresAt: Date;
}

const LEASES = 'projection_leases';
const DUPLICATE_KEY = 11000;

/**
 * The lease as one document per name in MongoDB. Each call is one findOneAndUpdate whose filter
 * compares the expiry with the server's clock ($$NOW) and whose pipeline sets the new expiry from
 * that same clock: no process's clock takes part. The token is in the document and only grows.
 */
export class MongoProjectionLease implements ProjectionLease {
  private ownsClient = false;

  /** Connects to `url`; the database is the one the URL names unless `database` is given. */
  static async connect(url: string, options: { database?: string } = {}): Promise<MongoProjectionLease> {
    const client = new MongoClient(url, { ignoreUndefined: true });
    await client.connect();
    const lease = new MongoProjectionLease(client, client.db(options.database));
    lease.ownsClient = true;
    return lease;
  }

  constructor(
    private readonly client: MongoClient,
    private readonly db: Db,
  ) {}

  private get leases(): Collection<LeaseDoc> {
    return this.db.collection<LeaseDoc>(LEASES);
  }

  async acquire(name: string, holder: string, ttlMs: number, options: { above?: number } = {}): Promise<LeaseGrant | undefined> {
    assertLease(name, ttlMs);
    const started = Date.now();
    try {
      const taken = await this.leases.findOneAndUpdate(
        { _id: name, $expr: { $or: [{ $eq: [{ $ifNull: ['$holder', null] }, null] }, { $lte: ['$expiresAt', '$$NOW'] }] } },
        [{ $set: { holder: { $literal: holder }, token: { $add: [{ $max: [{ $ifNull: ['$token', 0] }, options.above ?? 0] }, 1] }, expiresAt: { $add: ['$$NOW', ttlMs] } } }],
        { upsert: true, returnDocument: 'after' },
      );
      return taken ? { token: taken.token, expiresAt: new Date(started + ttlMs) } : undefined;
    } catch (error) {
      // The filter matched nothing because another holds the lease; the upsert then collides with its document.
      if (error instanceof MongoServerError && error.code === DUPLICATE_KEY) return undefined;
      throw error;
    }
  }

  async renew(name: string, holder: string, token: number, ttlMs: number): Promise<LeaseGrant | undefined> {
    assertLease(name, ttlMs);
    const started = Date.now();
    const renewed = await this.leases.findOneAndUpdate(
      { _id: name, holder, token, $expr: { $gt: ['$expiresAt', '$$NOW'] } },
      [{ $set: { expiresAt: { $add: ['$$NOW', ttlMs] } } }],
      { returnDocument: 'after' },
    );
    return renewed ? { token, expiresAt: new Date(started + ttlMs) } : undefined;
  }

  async release(name: string, holder: string, token: number): Promise<void> {
    assertLease(name);
    await this.leases.updateOne({ _id: name, holder, token }, { $set: { holder: null, expiresAt: new Date(0) } });
  }

  async holderOf(name: string): Promise<LeaseHolder | undefined> {
    assertLease(name);
    const found = await this.leases.findOne({ _id: name, holder: { $ne: null }, $expr: { $gt: ['$expiresAt', '$$NOW'] } });
    return found?.holder ? { holder: found.holder, token: found.token, expiresAt: found.expiresAt } : undefined;
  }

  async close(): Promise<void> {
    if (this.ownsClient) await this.client.close();
  }
}
