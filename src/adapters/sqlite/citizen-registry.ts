import { randomUUID } from 'node:crypto';
import type { Citizen, CitizenRegistry, NewCitizen } from '../../ports/citizen-registry.ts';
import type { SqliteDatabase } from './database.ts';

/** The simulator's citizen registry, in the ledger's SQLite file. */
export class SqliteCitizenRegistry implements CitizenRegistry {
  private readonly stmts;

  constructor(db: SqliteDatabase) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS citizens (aifo TEXT PRIMARY KEY, doc TEXT NOT NULL, seq INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS pseudonyms (sector TEXT NOT NULL, bsi TEXT NOT NULL, aifo TEXT NOT NULL, PRIMARY KEY (sector, bsi)) WITHOUT ROWID;
    `);
    this.stmts = {
      insert: db.prepare<[string, string]>('INSERT INTO citizens (aifo, doc, seq) VALUES (?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM citizens))'),
      get: db.prepare<[string], { doc: string }>('SELECT doc FROM citizens WHERE aifo = ?'),
      list: db.prepare<[], { doc: string }>('SELECT doc FROM citizens ORDER BY seq'),
      remember: db.prepare<[string, string, string]>('INSERT OR IGNORE INTO pseudonyms (sector, bsi, aifo) VALUES (?, ?, ?)'),
      resolve: db.prepare<[string, string], { aifo: string }>('SELECT aifo FROM pseudonyms WHERE sector = ? AND bsi = ?'),
    };
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
