import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import type { RecordedEvent } from '../../events/envelope.ts';
import { applyChange, type Change, type ReadModelDocument } from '../../projections/projection.ts';
import { logTreeProjection } from '../../projections/log-tree.ts';
import { ed25519Signer, formatVerifierKey, rawEd25519PublicKey } from '../../tlog/index.ts';
import { openSqlite } from '../../src/adapters/sqlite/database.ts';
import { SqliteEventStore } from '../../src/adapters/sqlite/event-store.ts';
import { SqliteReadModelStore } from '../../src/adapters/sqlite/read-model-store.ts';
import { TransparencyLog } from '../../src/app/audit/transparency-log.ts';
import type { Workload } from '../scenario.ts';

/** 1,000,000 by default; BENCH_TLOG_EVENTS gives a smaller log for a quick look. */
const EVENTS = Number(process.env.BENCH_TLOG_EVENTS ?? 1_000_000);
const BATCH = 5_000;
const SAMPLES = 2_000;
const ORIGIN = 'bench.example/act-ledger';

/**
 * The transparency log on a log of 1,000,000 events, on the embedded default (SQLite read models,
 * fsync on commit): the log-tree projection hashes them (timed, as events/s), then a checkpoint is
 * signed and recorded (tree root from stored hashes, Ed25519, one durable append), and inclusion and
 * consistency proofs are read at random. Each figure is set beside the same run's floor: one durable
 * append of one event to the same kind of store.
 */
export const transparencyLogWorkload: Workload = {
  id: 'tlog',
  name: 'transparency log',
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'ledger-bench-tlog-'));
    // Two files, as the ledger keeps them: the log, and the read models the projections write.
    const db = openSqlite(join(dir, 'ledger.sqlite'));
    const readModelDb = openSqlite(join(dir, 'read-models.sqlite'));
    const eventStore = new SqliteEventStore(db);
    const readModels = new SqliteReadModelStore(readModelDb);
    try {
      await readModels.register(logTreeProjection);
      const hashingS = await hashEvents(readModels);

      // The floor: one event appended durably, as the checkpoint's own append is.
      const floor = await median(200, async (i) => {
        await eventStore.append(`bench-floor-${i}`, [benchEvent(i).asNew], 'no-stream');
      });
      const { privateKey } = generateKeyPairSync('ed25519');
      const log = new TransparencyLog({
        eventStore,
        readModels,
        origin: ORIGIN,
        signer: ed25519Signer(ORIGIN, privateKey),
        verifierKey: formatVerifierKey(ORIGIN, rawEd25519PublicKey(privateKey)),
        clock: () => new Date(),
      });
      let position = EVENTS;
      let grown = EVENTS;
      // Untimed between runs: the projection hashes the LedgerCheckpointed as it would from the log, and
      // one more event arrives, so that the next checkpoint is due (only a grown log gets one).
      const grow = async () => {
        await project(readModels, [benchEvent(grown++).recorded], ++position);
      };
      await grow();
      const signing = await median(50, async () => {
        const { signed } = await log.checkpointNow();
        if (!signed) throw new Error('no checkpoint was signed');
      }, async () => {
        const recorded = (await eventStore.readStream('ledger-checkpoints')).at(-1)!;
        await project(readModels, [{ ...recorded, position: ++position }], position);
        await grow();
      });
      const size = await log.treeSize();
      const random = () => Math.floor(Math.random() * size);
      const inclusion = await median(SAMPLES, () => log.inclusionProof(random(), size).then(() => undefined));
      const consistency = await median(SAMPLES, () => log.consistencyProof(Math.max(1, random()), size).then(() => undefined));
      const tile = await median(SAMPLES, () => log.tile({ level: 0, index: Math.floor(random() / 256) % Math.floor(size / 256), width: 256 }).then(() => undefined));
      const ms = (x: number) => `${x.toFixed(3)} ms`;
      const ratio = (x: number) => `${(x / floor).toFixed(2)}× the floor`;
      return (
        `hashed ${EVENTS.toLocaleString('en-US')} events in ${hashingS.toFixed(1)} s (${Math.round(EVENTS / hashingS).toLocaleString('en-US')} events/s); ` +
        `floor (1 durable append) ${ms(floor)}; checkpoint signed and recorded ${ms(signing)} (${ratio(signing)}); ` +
        `inclusion proof ${ms(inclusion)} (${ratio(inclusion)}); consistency proof ${ms(consistency)} (${ratio(consistency)}); ` +
        `full hash tile ${ms(tile)} (${ratio(tile)}); medians`
      );
    } finally {
      await readModels.close();
      await eventStore.close();
      db.close();
      readModelDb.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

/** Feeds EVENTS synthetic events through the log-tree projection, in batches as the runner writes them. */
async function hashEvents(readModels: SqliteReadModelStore): Promise<number> {
  const started = performance.now();
  for (let from = 0; from < EVENTS; from += BATCH) {
    const events = Array.from({ length: Math.min(BATCH, EVENTS - from) }, (_, i) => benchEvent(from + i).recorded);
    await project(readModels, events, from + events.length);
  }
  return (performance.now() - started) / 1000;
}

/** The projection over `events` with the batch's own writes visible to its reads, then one write. */
async function project(readModels: SqliteReadModelStore, events: RecordedEvent[], position: number): Promise<void> {
  const pending = new Map<string, ReadModelDocument | null>();
  const changes: Change[] = [];
  const read = {
    get: async <T extends object>(collection: string, id: string): Promise<T | undefined> => {
      const key = `${collection}\u0000${id}`;
      if (pending.has(key)) return (pending.get(key) ?? undefined) as T | undefined;
      return readModels.get<T>(collection, id);
    },
  };
  for (const event of events) {
    for (const change of await logTreeProjection.project(event, read)) {
      if (change.op === 'deleteWhere') continue;
      const key = `${change.collection}\u0000${change.id}`;
      const current = pending.has(key) ? (pending.get(key) ?? undefined) : await readModels.get(change.collection, change.id);
      pending.set(key, applyChange(current, change) ?? null);
      changes.push(change);
    }
  }
  if (!(await readModels.apply(logTreeProjection.name, position, changes))) throw new Error('the log-tree write was refused');
}

function benchEvent(i: number): { recorded: RecordedEvent; asNew: { type: string; data: Record<string, unknown>; metadata: RecordedEvent['metadata'] } } {
  const metadata = { eventId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, correlationId: 'bench', occurredAt: '2026-12-02T08:00:00.000Z', actor: 'bench', schemaVersion: 1 };
  const data = { documentHash: i.toString(16).padStart(64, '0'), method: 'sms', loa: null, authorizedAt: '2026-12-02T08:00:00.000Z', receiptCommitment: (i * 7).toString(16).padStart(64, '0') };
  return { recorded: { streamName: `act-bench-${i}`, revision: 3, position: i + 1, type: 'ActAuthorized', data, metadata }, asNew: { type: 'BenchFloor', data, metadata } };
}

async function median(n: number, run: (i: number) => Promise<void>, after?: () => Promise<void>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    await run(i);
    times.push(performance.now() - started);
    await after?.();
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(n / 2)]!;
}
