import { randomUUID } from 'node:crypto';
import { MongoServerError, type Collection, type Db } from 'mongodb';
import type { Citizen, CitizenFields, CitizenRegistry, DevicePublicKey, MobileKeyDevice, NewCitizen, RemovedMobileKey } from '../../ports/citizen-registry.ts';
import { withFields, withMobileKey, withoutMobileKey } from '../citizen-record.ts';
import { DURABLE, DUPLICATE_KEY } from './connection.ts';

/** One person: the record under `doc`, `version` moved by every change, `seq` the order they came in. */
interface CitizenDoc {
  _id: string;
  doc: Citizen;
  version: number;
  seq: number;
}

interface PseudonymDoc {
  sector: string;
  bsi: string;
  aifo: string;
}

interface CounterDoc {
  _id: string;
  next: number;
}

const CITIZENS = 'citizens';
const PSEUDONYMS = 'pseudonyms';
const COUNTERS = 'citizen_counters';
/** Changes to one person racing each other retry this often before giving up (each retry means another change won). */
const MAX_ATTEMPTS = 50;

/**
 * The citizen registry in MongoDB: one document per person. A change reads the record, applies the
 * rule of citizen-record.ts and writes it back only if the version it read is still there; when
 * another change got in between, it reads again and reapplies, so neither change is lost.
 */
export class MongoCitizenRegistry implements CitizenRegistry {
  private readonly citizens: Collection<CitizenDoc>;
  private readonly pseudonyms: Collection<PseudonymDoc>;
  private readonly counters: Collection<CounterDoc>;

  private constructor(db: Db) {
    this.citizens = db.collection<CitizenDoc>(CITIZENS, { writeConcern: DURABLE });
    this.pseudonyms = db.collection<PseudonymDoc>(PSEUDONYMS, { writeConcern: DURABLE });
    this.counters = db.collection<CounterDoc>(COUNTERS, { writeConcern: DURABLE });
  }

  /** The registry on `db`, its indexes made (safe to repeat, and from several processes at once). */
  static async open(db: Db): Promise<MongoCitizenRegistry> {
    const registry = new MongoCitizenRegistry(db);
    await registry.pseudonyms.createIndex({ sector: 1, bsi: 1 }, { unique: true });
    await registry.citizens.createIndex({ seq: 1 });
    return registry;
  }

  async add(input: NewCitizen, now: string): Promise<Citizen> {
    const citizen: Citizen = { ...input, aifo: input.aifo ?? randomUUID(), createdAt: now };
    await this.citizens.insertOne({ _id: citizen.aifo, doc: asStored(citizen), version: 1, seq: await this.nextSeq() });
    return citizen;
  }

  async get(aifo: string): Promise<Citizen | undefined> {
    return (await this.citizens.findOne({ _id: aifo }))?.doc;
  }

  async list(): Promise<Citizen[]> {
    return (await this.citizens.find({}).sort({ seq: 1 }).toArray()).map((d) => d.doc);
  }

  async upsert(aifo: string, fields: CitizenFields, now: string): Promise<{ citizen: Citizen; created: boolean }> {
    let created = false;
    const citizen = await this.change(aifo, (current) => {
      created = !current;
      return withFields(current, aifo, fields, now);
    });
    return { citizen: citizen!, created };
  }

  async addMobileKey(aifo: string, device: { fcmToken: string; label: string; publicKey?: DevicePublicKey }, now: string): Promise<MobileKeyDevice | undefined> {
    let added: MobileKeyDevice | undefined;
    const changed = await this.change(aifo, (current) => {
      if (!current) return undefined;
      const next = withMobileKey(current, device, now);
      added = next.device;
      return next.citizen;
    });
    return changed ? added : undefined;
  }

  async removeMobileKey(aifo: string, deviceId: string, reason: RemovedMobileKey['reason'], now: string): Promise<boolean> {
    return (await this.change(aifo, (current) => (current ? withoutMobileKey(current, deviceId, reason, now) : undefined))) !== undefined;
  }

  async remember(sector: string, bsi: string, aifo: string): Promise<void> {
    try {
      // The first AIFO recorded for a pair stays: a pair is never re-pointed.
      await this.pseudonyms.updateOne({ sector, bsi }, { $setOnInsert: { aifo } }, { upsert: true });
    } catch (error) {
      // Two processes remembering the same pair at once: the unique index let one in, which is the point.
      if (!(error instanceof MongoServerError && error.code === DUPLICATE_KEY)) throw error;
    }
  }

  async resolve(sector: string, bsi: string): Promise<string | undefined> {
    return (await this.pseudonyms.findOne({ sector, bsi }))?.aifo;
  }

  /**
   * Read, rule, write-if-unchanged, again until it lands. `apply` answering undefined writes
   * nothing and answers undefined; otherwise answers the record as written.
   */
  private async change(aifo: string, apply: (citizen: Citizen | undefined) => Citizen | undefined): Promise<Citizen | undefined> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const stored = await this.citizens.findOne({ _id: aifo });
      const next = apply(stored?.doc);
      if (!next) return undefined;
      const doc = asStored(next);
      if (stored) {
        const result = await this.citizens.updateOne({ _id: aifo, version: stored.version }, { $set: { doc }, $inc: { version: 1 } });
        if (result.matchedCount === 1) return doc;
        continue;
      }
      try {
        await this.citizens.insertOne({ _id: aifo, doc, version: 1, seq: await this.nextSeq() });
        return doc;
      } catch (error) {
        // Another process created the person first: change theirs instead.
        if (!(error instanceof MongoServerError && error.code === DUPLICATE_KEY)) throw error;
      }
    }
    throw new Error(`citizen record changed by others ${MAX_ATTEMPTS} times in a row; try again`);
  }

  private async nextSeq(): Promise<number> {
    const counter = await this.counters.findOneAndUpdate({ _id: CITIZENS }, { $inc: { next: 1 } }, { upsert: true, returnDocument: 'after' });
    return counter!.next;
  }
}

/** The record as JSON stores it: no undefined fields, no shared references with the caller's objects. */
function asStored(citizen: Citizen): Citizen {
  return JSON.parse(JSON.stringify(citizen)) as Citizen;
}
