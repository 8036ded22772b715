import type { LedgerUnderLoad } from './ledger-fixture.ts';
import { measure, type Measurement } from './measure.ts';
import { pagesInUse, type StoreOnDisk } from './scale-disk.ts';
import type { BenchContext, Scenario } from './scenario.ts';

/** One route measured on the empty store and, right after, on the grown one. */
export interface RouteOnBothStores {
  scenario: Scenario;
  empty: Measurement;
  full: Measurement;
  notes: string[];
}

/** What the acts registered during a run took in each file, per act. */
export interface GrowthPerAct {
  acts: number;
  eventFileBytes: number;
  readModelBytes: number;
}

const CATCH_UP_TIMEOUT_MS = 120_000;

/**
 * Seconds of the same load, unmeasured, before each measurement (BENCH_SCALE_WARMUP, default 3;
 * 0: none). A server just started on a grown store has nothing of its indexes in memory, neither in
 * SQLite's page cache nor in the kernel's; its first seconds measure the disk, not the ledger as it
 * runs for weeks. The empty store gets the same warm-up.
 */
export function warmUpSeconds(env: NodeJS.ProcessEnv = process.env): number {
  const given = env.BENCH_SCALE_WARMUP ?? '3';
  const seconds = Number(given);
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > 60) throw new Error(`BENCH_SCALE_WARMUP must be a whole number of seconds from 0 to 60, not ${given}`);
  return seconds;
}

/**
 * Each scenario prepared and measured on the empty store, then on the full one, back to back: the
 * shared machine's speed drifts within minutes, so the two figures a ratio divides are taken
 * seconds apart. Around the register-act runs, the files' pages in use are read before and after
 * (the projections caught up): what one freshly registered act costs on disk on either store.
 */
export async function measureOnBothStores(
  context: BenchContext,
  stores: { empty: LedgerUnderLoad; full: LedgerUnderLoad },
  scenarios: Scenario[],
  growthOf: Scenario,
  progress: (line: string) => void,
): Promise<{ routes: RouteOnBothStores[]; growth?: { empty: GrowthPerAct; full: GrowthPerAct } }> {
  const routes: RouteOnBothStores[] = [];
  const growth: Partial<Record<'empty' | 'full', GrowthPerAct>> = {};
  const warmUp = warmUpSeconds();
  for (const scenario of scenarios) {
    const measured: Partial<Record<'empty' | 'full', Measurement>> = {};
    const notes: string[] = [];
    for (const which of ['empty', 'full'] as const) {
      const store = stores[which];
      if (warmUp > 0) {
        // Its own setup (a captcha pool, a flow's state), so the measured run starts as fresh as without one.
        const warmSettings = { ...context.settings, durationS: warmUp };
        const warming = await scenario.prepare({ settings: warmSettings, ledger: () => Promise.resolve(store) });
        try {
          progress(`warming ${scenario.route} up on the ${which} store for ${warmUp} s ...`);
          await measure(warming.target, warmSettings);
        } finally {
          await warming.close?.();
        }
      }
      // The scenario's own setup, pointed at this store instead of the run's shared ledger.
      const { target, note, close } = await scenario.prepare({ settings: context.settings, ledger: () => Promise.resolve(store) });
      try {
        progress(`measuring ${scenario.route} on the ${which} store ...`);
        const before = scenario === growthOf ? await settled(store) : undefined;
        measured[which] = await measure(target, context.settings);
        if (before) growth[which] = perAct(before, await settled(store), measured[which].ok);
        const text = note?.();
        if (text) notes.push(`${which}: ${text}`);
      } finally {
        await close?.();
      }
    }
    routes.push({ scenario, empty: measured.empty!, full: measured.full!, notes });
  }
  if (!scenarios.includes(growthOf)) return { routes };
  if (!growth.empty || !growth.full) throw new Error(`the scale bench did not measure ${growthOf.id}`);
  return { routes, growth: { empty: growth.empty, full: growth.full } };
}

/** The files' pages in use once every projection has applied the whole log. */
async function settled(store: LedgerUnderLoad): Promise<StoreOnDisk> {
  const deadline = Date.now() + CATCH_UP_TIMEOUT_MS;
  for (;;) {
    const { position, headPosition } = await store.projections();
    if (position >= headPosition) return pagesInUse(store.dataDir);
    if (Date.now() > deadline) throw new Error(`projections still at ${position} of ${headPosition} after ${CATCH_UP_TIMEOUT_MS} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function perAct(before: StoreOnDisk, after: StoreOnDisk, acts: number): GrowthPerAct {
  const per = (grown: number) => (acts > 0 ? grown / acts : Number.NaN);
  return { acts, eventFileBytes: per(after.eventFileBytes - before.eventFileBytes), readModelBytes: per(after.readModelBytes - before.readModelBytes) };
}
