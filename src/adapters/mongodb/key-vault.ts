import { randomBytes } from 'node:crypto';
import { Binary, MongoServerError, type Collection, type Db } from 'mongodb';
import type { KeyVault } from '../../ports/key-vault.ts';
import { DURABLE, DUPLICATE_KEY } from './connection.ts';

interface KeyDoc {
  _id: string;
  key: Binary;
}

const DATA_KEYS = 'data_keys';

/**
 * KeyVault in MongoDB (collection `data_keys`), apart from the events wherever they are.
 *
 * `create` answers only once the key is in a majority's journal: the event that needs the key is
 * appended after that, so no acknowledged event refers to a key a failover could lose. A key whose
 * event never came refers to nothing. Reads are majority reads, so a key is never handed out while
 * a rollback could still take it back.
 *
 * What "destroyed for good" means here: the document is deleted with a durable write; the oplog
 * still holds the insert until it rolls over, and backups hold what they took (the operator's
 * retention of both bounds how long an erased act stays readable to someone holding them).
 */
export class MongoKeyVault implements KeyVault {
  private readonly keys: Collection<KeyDoc>;

  constructor(db: Db) {
    this.keys = db.collection<KeyDoc>(DATA_KEYS, { writeConcern: DURABLE, readConcern: { level: 'majority' } });
  }

  async create(keyId: string): Promise<Buffer> {
    // Insert if absent, then read: two processes creating the same key at once both answer the one that won.
    try {
      await this.keys.updateOne({ _id: keyId }, { $setOnInsert: { key: new Binary(randomBytes(32)) } }, { upsert: true });
    } catch (error) {
      // Two upserts of one _id racing: the loser's insert meets the winner's document.
      if (!(error instanceof MongoServerError && error.code === DUPLICATE_KEY)) throw error;
    }
    const key = await this.get(keyId);
    if (!key) throw new Error(`data key ${keyId} was written but cannot be read back`);
    return key;
  }

  async get(keyId: string): Promise<Buffer | undefined> {
    const found = await this.keys.findOne({ _id: keyId });
    return found ? Buffer.from(found.key.buffer) : undefined;
  }

  async destroy(keyIds: string[]): Promise<number> {
    if (keyIds.length === 0) return 0;
    const result = await this.keys.deleteMany({ _id: { $in: keyIds } });
    return result.deletedCount;
  }
}
