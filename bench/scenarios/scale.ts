import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { replayLedger } from '../../src/composition/replay.ts';
import { loadConfig } from '../../src/config.ts';
import { memoryOf, storeOnDisk } from '../scale-disk.ts';
import { scaleReport } from '../scale-report.ts';
import { measureOnBothStores, warmUpSeconds } from '../scale-routes.ts';
import { seedScaleStore, seededEarlier } from '../scale-store.ts';
import { startTimed, type StartedLedger } from '../scale-start.ts';
import type { Workload } from '../scenario.ts';
import { codeFlow, registerAct } from './acts.ts';
import { publicLookup } from './public-lookup.ts';
import { resultRead } from './result-read.ts';

const DEFAULT_EVENTS = 1_000_000;

/** The routes measured on both stores, in this order. */
const SCALE_ROUTES = [registerAct, codeFlow, resultRead, publicLookup];

/**
 * BENCH_SCALE_ROUTES: some of the four routes by scenario id, comma-separated (all unless set), for
 * a quick A/B of one route on a kept store. Without register-act there is no per-act growth line.
 */
export function scaleRoutes(env: NodeJS.ProcessEnv = process.env): typeof SCALE_ROUTES {
  const given = env.BENCH_SCALE_ROUTES;
  if (given === undefined || given.trim() === '') return SCALE_ROUTES;
  const ids = given.split(',').map((id) => id.trim());
  const unknown = ids.filter((id) => !SCALE_ROUTES.some((s) => s.id === id));
  if (unknown.length > 0) {
    throw new Error(`BENCH_SCALE_ROUTES: unknown ${unknown.join(', ')}; the routes are ${SCALE_ROUTES.map((s) => s.id).join(', ')}`);
  }
  return SCALE_ROUTES.filter((s) => ids.includes(s.id));
}

/** BENCH_SCALE_EVENTS: how many events the grown store holds (1,000,000 unless set). */
export function scaleEvents(env: NodeJS.ProcessEnv = process.env): number {
  const given = env.BENCH_SCALE_EVENTS;
  if (given === undefined || given === '') return DEFAULT_EVENTS;
  const events = Number(given.replaceAll('_', ''));
  if (!Number.isInteger(events) || events < 20 || events > 100_000_000) throw new Error(`BENCH_SCALE_EVENTS must be a whole number from 20 to 100000000, not ${given}`);
  return events;
}

/**
 * BENCH_SCALE_DATA_DIR: a data dir the workload keeps. Seeded there when it holds no events yet; used
 * as it is when it does (a store seeded by an earlier run, or an old one after `ledger store
 * migrate`), so one long seeding serves several runs. BENCH_SCALE_REPLAY=off: no projection rebuild.
 */
export function scaleOptions(env: NodeJS.ProcessEnv = process.env): { dataDir?: string; replay: boolean } {
  const replay = env.BENCH_SCALE_REPLAY ?? 'on';
  if (replay !== 'on' && replay !== 'off') throw new Error(`BENCH_SCALE_REPLAY must be on or off, not ${replay}`);
  return { ...(env.BENCH_SCALE_DATA_DIR ? { dataDir: env.BENCH_SCALE_DATA_DIR } : {}), replay: replay === 'on' };
}

/**
 * The ledger grown to N events against an empty one, in the same run: a store seeded through the
 * fast path (untimed), a real `ledger serve` on it and one on a fresh store, four routes measured on
 * both back to back (ratios full/empty), start-up and memory, bytes on disk per event and act, and
 * a rebuild of every projection from the whole log (`ledger replay`).
 */
export const scaleWorkload: Workload = {
  id: 'scale',
  name: 'scale',
  async run(context) {
    const events = scaleEvents();
    const options = scaleOptions();
    const routes = scaleRoutes();
    const progress = (line: string) => process.stdout.write(`    ${line}\n`);
    const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'ledger-bench-scale-'));
    try {
      const earlier = seededEarlier(dataDir);
      if (earlier) progress(`using the store seeded earlier in ${dataDir}: ${earlier.events.toLocaleString('en-US')} events, layout ${earlier.layout}`);
      else progress(`seeding about ${events.toLocaleString('en-US')} events through the act codec (untimed) ...`);
      const seeded = earlier ?? (await seedScaleStore(dataDir, events, progress));
      const seededOnDisk = storeOnDisk(dataDir);

      progress('starting `ledger serve` on the seeded store, then on an empty one ...');
      const full = await startTimed(dataDir);
      let empty: StartedLedger | undefined;
      let measured;
      let peak;
      try {
        empty = await startTimed();
        measured = await measureOnBothStores(context, { empty: empty.ledger, full: full.ledger }, routes, registerAct, progress);
        peak = { full: memoryOf(full.ledger.pid).peakRssBytes, empty: memoryOf(empty.ledger.pid).peakRssBytes };
      } finally {
        await empty?.ledger.close();
        await full.ledger.close();
      }

      let replay;
      if (options.replay) {
        progress('rebuilding every projection from the whole log (`ledger replay`) ...');
        const rebuilding = performance.now();
        const report = await replayLedger(loadConfig({ LEDGER_DATA_DIR: dataDir, LEDGER_ADMIN_TOKEN: 'bench-scale' }));
        if (report.differences !== 0) throw new Error(`the replay found ${report.differences} differences on the seeded store`);
        replay = { report, seconds: (performance.now() - rebuilding) / 1000 };
      }

      return scaleReport({ seeded, seededOnDisk, start: { full, empty: empty! }, peak: peak!, ...measured!, warmUpS: warmUpSeconds(), ...(replay ? { replay } : {}) });
    } finally {
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    }
  },
};
