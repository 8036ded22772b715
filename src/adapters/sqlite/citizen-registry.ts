import { randomUUID } from 'node:crypto';
import type { Citizen, CitizenFields, CitizenRegistry, DevicePublicKey, MobileKeyDevice, NewCitizen, RemovedMobileKey } from '../../ports/citizen-registry.ts';
import { withFields, withMobileKey, withoutMobileKey } from '../citizen-record.ts';
import type { SqliteDatabase } from './database.ts';

/** The citizen registry in the ledger's SQLite file: one JSON record per person, changed in a transaction. */
export class SqliteCitizenRegistry implements CitizenRegistry {
  private readonly stmts;
  private readonly change: (aifo: string, apply: (citizen: Citizen | undefined) => Citizen | undefined) => Citizen | undefined;

  constructor(db: SqliteDatabase) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS citizens (aifo TEXT PRIMARY KEY, doc TEXT NOT NULL, seq INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS pseudonyms (sector TEXT NOT NULL, bsi TEXT NOT NULL, aifo TEXT NOT NULL, PRIMARY KEY (sector, bsi)) WITHOUT ROWID;
    `);
    this.stmts = {
      insert: db.prepare<[string, string]>('INSERT INTO citizens (aifo, doc, seq) VALUES (?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM citizens))'),
      get: db.prepare<[string], { doc: string }>('SELECT doc FROM citizens WHERE aifo = ?'),
      list: db.prepare<[], { doc: string }>('SELECT doc FROM citizens ORDER BY seq'),
      update: db.prepare<[string, string]>('UPDATE citizens SET doc = ? WHERE aifo = ?'),
      remember: db.prepare<[string, string, string]>('INSERT OR IGNORE INTO pseudonyms (sector, bsi, aifo) VALUES (?, ?, ?)'),
      resolve: db.prepare<[string, string], { aifo: string }>('SELECT aifo FROM pseudonyms WHERE sector = ? AND bsi = ?'),
    };
    // Read, rule, write in one immediate transaction: two changes to one person never lose each other.
    const change = db.transaction((aifo: string, apply: (citizen: Citizen | undefined) => Citizen | undefined) => {
      const row = this.stmts.get.get(aifo);
      const current = row ? (JSON.parse(row.doc) as Citizen) : undefined;
      const next = apply(current);
      if (!next) return undefined;
      if (current) this.stmts.update.run(JSON.stringify(next), aifo);
      else this.stmts.insert.run(aifo, JSON.stringify(next));
      return next;
    });
    this.change = (aifo, apply) => change.immediate(aifo, apply);
  }

  async upsert(aifo: string, fields: CitizenFields, now: string): Promise<{ citizen: Citizen; created: boolean }> {
    let created = false;
    const citizen = this.change(aifo, (current) => {
      created = !current;
      return withFields(current, aifo, fields, now);
    })!;
    return { citizen, created };
  }

  async addMobileKey(aifo: string, device: { fcmToken: string; label: string; publicKey?: DevicePublicKey }, now: string): Promise<MobileKeyDevice | undefined> {
    let added: MobileKeyDevice | undefined;
    this.change(aifo, (current) => {
      if (!current) return undefined;
      const next = withMobileKey(current, device, now);
      added = next.device;
      return next.citizen;
    });
    return added;
  }

  async removeMobileKey(aifo: string, deviceId: string, reason: RemovedMobileKey['reason'], now: string): Promise<boolean> {
    return this.change(aifo, (current) => (current ? withoutMobileKey(current, deviceId, reason, now) : undefined)) !== undefined;
  }

  async add(input: NewCitizen, now: string): Promise<Citizen> {
    const citizen: Citizen = { ...input, aifo: input.aifo ?? randomUUID(), createdAt: now };
    this.stmts.insert.run(citizen.aifo, JSON.stringify(citizen));
    return citizen;
  }

  async get(aifo: string): Promise<Citizen | undefined> {
    const row = this.stmts.get.get(aifo);
    return row ? (JSON.parse(row.doc) as Citizen) : undefined;
  }

  async list(): Promise<Citizen[]> {
    return this.stmts.list.all().map((r) => JSON.parse(r.doc) as Citizen);
  }

  async remember(sector: string, bsi: string, aifo: string): Promise<void> {
    this.stmts.remember.run(sector, bsi, aifo);
  }

  async resolve(sector: string, bsi: string): Promise<string | undefined> {
    return this.stmts.resolve.get(sector, bsi)?.aifo;
  }
}
