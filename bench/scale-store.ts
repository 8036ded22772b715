import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import pino from 'pino';
import { recordedFormat } from '../src/adapters/sqlite/event-file-format.ts';
import { ledgerFiles } from '../src/composition/stores.ts';
import { buildLedger } from '../src/composition/ledger.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { appendMixedActs, type ActEnding } from './mixed-acts.ts';

/**
 * The endings the seeded acts take turns in: 20 events per 10 acts, as a grown ledger's log runs at
 * about two events an act (most acts end or wait after one or two events; some go through a code).
 */
export const SCALE_ENDINGS: readonly ActEnding[] = ['pending', 'expired', 'cancelled', 'pending', 'expired', 'authorized', 'pending', 'expired', 'cancelled', 'pending'];
const EVENTS_PER_TURN = 20;

/** Acts appended between two progress lines, and at most between two waits for the projections. */
const CHUNK_ACTS = 50_000;

export interface SeededStore {
  acts: number;
  events: number;
  /** Appending through the act codec (NaN for a store seeded by an earlier run). */
  appendS: number;
  /** Waiting for every projection to apply the whole log, after the appends (NaN for a store seeded by an earlier run). */
  projectS: number;
  /** The event file's layout (src/adapters/sqlite/event-file-format.ts). */
  layout: number;
  /** Seeded by an earlier run (BENCH_SCALE_DATA_DIR), not by this one. */
  reused: boolean;
}

/** The store an earlier run seeded in `dataDir` (BENCH_SCALE_DATA_DIR), counted; undefined when it holds no events. */
export function seededEarlier(dataDir: string): SeededStore | undefined {
  const file = ledgerFiles(dataDir).events;
  if (!existsSync(file)) return undefined;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const layout = recordedFormat(db);
    if (layout === 'new') return undefined;
    const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
    const events = count('SELECT COUNT(*) AS n FROM events');
    if (events === 0) return undefined;
    return { events, acts: count("SELECT COUNT(*) AS n FROM events WHERE type = 'ActRegistered'"), appendS: Number.NaN, projectS: Number.NaN, layout, reused: true };
  } finally {
    db.close();
  }
}

/**
 * Fills `dataDir` with about `events` events through the fast path (the act codec, as the purge and
 * replay fixtures append), lets every projection catch up, and closes: a grown store for a server to open.
 * The acts were registered an hour ago: none is old enough to expire or be purged while the bench runs.
 */
export async function seedScaleStore(dataDir: string, events: number, progress: (line: string) => void): Promise<SeededStore> {
  const acts = Math.max(1, Math.round((events * SCALE_ENDINGS.length) / EVENTS_PER_TURN));
  const config = loadConfig({ LEDGER_DATA_DIR: dataDir, LEDGER_ADMIN_TOKEN: 'bench-scale' });
  const ledger = await buildLedger(config, { runJobs: false, logger: createLogger('warn', pino.destination({ dest: '/dev/null', sync: false })) });
  let seeded: Omit<SeededStore, 'layout' | 'reused'>;
  try {
    const { services } = ledger;
    const registeredAt = new Date(services.clock().getTime() - 3_600_000);
    let appendMs = 0;
    for (let done = 0; done < acts; ) {
      const count = Math.min(CHUNK_ACTS, acts - done);
      const started = performance.now();
      // Each chunk starts on the same turn of the endings, so the whole store keeps the mix.
      await appendMixedActs(services, { count, providerId: 'bench-provider', registeredAt, endings: SCALE_ENDINGS });
      appendMs += performance.now() - started;
      done += count;
      if (acts > CHUNK_ACTS) progress(`seeded ${done.toLocaleString('en-US')} of ${acts.toLocaleString('en-US')} acts`);
    }
    const head = await services.eventStore.headPosition();
    const projecting = performance.now();
    await services.projections.waitFor(head, 3_600_000);
    seeded = { acts, events: head, appendS: appendMs / 1000, projectS: (performance.now() - projecting) / 1000 };
  } finally {
    await ledger.close();
  }
  return { ...seeded, layout: seededEarlier(dataDir)?.layout ?? Number.NaN, reused: false };
}
