import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../events/envelope.ts';
import { applyChange, handlesType, type Projection, type ReadModelDocument, type ReadView } from '../../projections/projection.ts';
import { VERIFIED_ACTS, verificationIndexProjection } from '../../projections/verification-index.ts';
import { CUL_ENTRIES, culProjection } from '../../projections/cul.ts';
import { openSqlite, type SqliteDatabase } from '../../src/adapters/sqlite/database.ts';
import { SqliteEventStore } from '../../src/adapters/sqlite/event-store.ts';
import { SqliteKeyVault } from '../../src/adapters/sqlite/key-vault.ts';
import { SqliteReadModelStore } from '../../src/adapters/sqlite/read-model-store.ts';
import { ProjectionRunner } from '../../src/app/projecting/projection-runner.ts';
import { actCodec } from '../../src/app/acts/act-sealing.ts';
import { appendActHistory, type ActRecord } from '../support/act-history.ts';

const projections = [verificationIndexProjection, culProjection];
type Snapshot = Record<string, ReadModelDocument[]>;

let db: SqliteDatabase;
let store: SqliteEventStore;
let readModels: SqliteReadModelStore;
let runner: ProjectionRunner;
let codec: ReturnType<typeof actCodec>;
let acts: ActRecord[];

/** Every collection of both projections, as the store holds it (documents ordered by id). */
async function snapshot(): Promise<Snapshot> {
  const out: Snapshot = {};
  for (const p of projections) for (const c of p.collections) out[c.name] = await readModels.find(c.name);
  return out;
}

/** The read models of `events` folded through the pure handlers alone, in memory, with the store's semantics. */
async function fold(events: RecordedEvent[]): Promise<Snapshot> {
  const docs = new Map<string, Map<string, ReadModelDocument>>();
  const table = (c: string) => docs.get(c) ?? docs.set(c, new Map()).get(c)!;
  const read: ReadView = { get: async <T extends object>(c: string, id: string) => table(c).get(id) as T | undefined };
  for (const event of events) {
    for (const p of projections) {
      if (!handlesType(p, event.type)) continue;
      for (const change of await p.project(event, read)) {
        const t = table(change.collection);
        if (change.op === 'deleteWhere') {
          for (const [id, doc] of t) if (!applyChange(doc, change)) t.delete(id);
          continue;
        }
        const next = applyChange(t.get(change.id), change);
        if (next) t.set(change.id, next);
        else t.delete(change.id);
      }
    }
  }
  const out: Snapshot = {};
  for (const p of projections) {
    for (const c of p.collections) out[c.name] = [...table(c.name)].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, d]) => d);
  }
  return out;
}

const decodedLog = async () => Promise.all((await store.readAll()).map((r) => codec.decodeRecorded(r)));
const expectedVerified = (records: ActRecord[]) =>
  records
    .filter((a) => a.outcome.status === 'authorized' && !a.erased)
    .map((a) => {
      const o = a.outcome as Extract<ActRecord['outcome'], { status: 'authorized' }>;
      return { actId: a.actId, documentHash: a.documentHash, name: a.name, description: a.description, providerName: a.providerName, authorizedAt: o.authorizedAt, method: o.method };
    })
    .sort((x, y) => (x.actId < y.actId ? -1 : 1));

describe('verification index and CUL projections over a mixed history of acts', () => {
  beforeAll(async () => {
    db = openSqlite(':memory:');
    store = new SqliteEventStore(db);
    const vault = new SqliteKeyVault(db);
    codec = actCodec(vault);
    readModels = new SqliteReadModelStore(db);
    // Erased before the runner ever starts: no projection saw their personal fields.
    const erased = await appendActHistory({ store, codec, vault }, { seed: 11, acts: 200, erase: 'after-registration' });
    runner = new ProjectionRunner({ eventStore: store, readModels, projections, decode: (r) => codec.decodeRecorded(r), batchSize: 200 });
    await runner.start();
    // Followed live, while it is appended; failed acts are erased after their outcome, as the purge does.
    const live = await appendActHistory({ store, codec, vault }, { seed: 12, acts: 3000, erase: 'failed-after-outcome' });
    acts = [...erased, ...live];
    await runner.waitFor(await store.headPosition(), 60_000);
  }, 120_000);
  afterAll(async () => {
    await runner?.close();
    await store?.close();
    db?.close();
  });

  it('covers every ending: authorized by each method, failed for each reason, pending, erased', () => {
    const endings = new Set(acts.map((a) => (a.outcome.status === 'authorized' ? a.outcome.method : a.outcome.status === 'failed' ? a.outcome.reason : 'pending')));
    expect([...endings].sort()).toEqual(
      ['attempts-exhausted', 'authentication', 'authentication-failed', 'cancelled', 'expired', 'identity-mismatch', 'loa-too-low', 'mobile-key', 'pending', 'sms'].sort(),
    );
    expect(acts.filter((a) => a.erased && a.outcome.status === 'authorized').length).toBeGreaterThan(10);
    // Some documents have an authorized act and a failed one: the index must show only the first.
    const byHash = new Map<string, ActRecord[]>();
    for (const a of acts) byHash.set(a.documentHash, [...(byHash.get(a.documentHash) ?? []), a]);
    expect([...byHash.values()].some((g) => g.some((a) => a.outcome.status === 'authorized') && g.some((a) => a.outcome.status === 'failed'))).toBe(true);
  });

  it('indexes exactly the authorized acts by document hash, with nothing that identifies the citizen', async () => {
    const verified = await readModels.find(VERIFIED_ACTS);
    expect(verified).toEqual(expectedVerified(acts));
    const json = JSON.stringify(verified);
    for (const person of new Set(acts.map((a) => a.aifo))) {
      expect(json).not.toContain(person);
    }
    // A document with an authorized act and a failed one: looked up by its hash, only the first.
    const failed = acts.find((f) => f.outcome.status === 'failed' && acts.some((a) => a.documentHash === f.documentHash && a.outcome.status === 'authorized' && !a.erased))!;
    const forItsDocument = await readModels.find(VERIFIED_ACTS, { where: { documentHash: failed.documentHash } });
    expect(forItsDocument.length).toBeGreaterThan(0);
    expect(forItsDocument.map((d) => d.actId)).not.toContain(failed.actId);
  });

  it('writes one digital-act-authorization entry per authorization into the citizen\'s log, and none elsewhere', async () => {
    for (const person of new Set(acts.map((a) => a.aifo))) {
      const entries = await readModels.find(CUL_ENTRIES, { where: { aifo: person }, sort: [{ field: 'occurredAt', direction: 'desc' }] });
      const expected = acts.filter((a) => a.aifo === person && a.outcome.status === 'authorized' && !a.erased);
      expect(entries.map((e) => e.actId).sort()).toEqual(expected.map((a) => a.actId).sort());
      expect(entries.every((e) => e.logType === 'digital-act-authorization')).toBe(true);
      const act = expected[0]!;
      const outcome = act.outcome as Extract<ActRecord['outcome'], { status: 'authorized' }>;
      expect(entries.find((e) => e.actId === act.actId)).toEqual({
        actId: act.actId,
        aifo: person,
        logType: 'digital-act-authorization',
        providerName: act.providerName,
        actName: act.name,
        description: act.description,
        documentHash: act.documentHash,
        method: outcome.method,
        occurredAt: outcome.authorizedAt,
      });
    }
  });

  it('keeps staged fields only for pending acts', async () => {
    const pending = acts.filter((a) => a.outcome.status === 'pending' && !a.erased).map((a) => a.actId).sort();
    const all = await snapshot();
    expect(all.verification_pending!.map((d) => d.actId)).toEqual(pending);
    expect(all.cul_pending!.map((d) => d.actId)).toEqual(pending);
  });

  it('leaves no personal data of an act whose key was destroyed, in any collection', async () => {
    const erased = acts.filter((a) => a.erased);
    expect(erased.length).toBeGreaterThan(100);
    const all = JSON.stringify(await snapshot());
    for (const act of erased) {
      expect(all).not.toContain(act.actId);
      expect(all).not.toContain(act.name);
    }
  });

  it('gives the same read model when the same events are applied twice', async () => {
    const log = await decodedLog();
    const once = await fold(log);
    expect(once).toEqual(await snapshot());
    expect(await fold(log.flatMap((e) => [e, e]))).toEqual(once);
    expect(await fold([...log, ...log])).toEqual(once);
  });

  it('rebuilds from zero into exactly the live read models', async () => {
    const live = await snapshot();
    expect(live[VERIFIED_ACTS]!.length).toBeGreaterThan(500);
    const reports = [await runner.rebuild(verificationIndexProjection.name), await runner.rebuild(culProjection.name)];
    expect(reports.every((r) => r.position === reports[0]!.position)).toBe(true);
    expect(await snapshot()).toEqual(live);
  });

  it('declares actId on every collection, so retention can delete an act\'s rows everywhere', () => {
    for (const p of projections as Projection[]) for (const c of p.collections) expect(c.indexes).toContain('actId');
  });
});
