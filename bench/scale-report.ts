import type { ReplayReport } from '../src/app/projecting/replay.ts';
import type { StoreOnDisk } from './scale-disk.ts';
import type { GrowthPerAct, RouteOnBothStores } from './scale-routes.ts';
import type { StartedLedger } from './scale-start.ts';
import type { SeededStore } from './scale-store.ts';

export interface ScaleFigures {
  seeded: SeededStore;
  seededOnDisk: StoreOnDisk;
  start: { full: StartedLedger; empty: StartedLedger };
  peak: { full: number; empty: number };
  routes: RouteOnBothStores[];
  /** Absent when register-act was not measured (BENCH_SCALE_ROUTES). */
  growth?: { empty: GrowthPerAct; full: GrowthPerAct };
  /** Seconds of unmeasured load before each measurement (BENCH_SCALE_WARMUP). */
  warmUpS: number;
  /** Absent with BENCH_SCALE_REPLAY=off. */
  replay?: { report: ReplayReport; seconds: number };
}

const n = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a');
const mib = (bytes: number) => `${(bytes / 1048576).toFixed(0)} MiB`;
const ratio = (a: number, b: number) => (b > 0 && Number.isFinite(a) ? (a / b).toFixed(2) : 'n/a');

/** The scale workload's lines: a summary, the routes' table (full / empty), then one line per figure. */
export function scaleReport(f: ScaleFigures): string {
  const { seeded, seededOnDisk: disk, start, routes, growth, replay } = f;
  const lines = [
    (seeded.reused
      ? `${n(seeded.events)} events (${n(seeded.acts)} acts) in a store seeded earlier (BENCH_SCALE_DATA_DIR), event file layout ${seeded.layout}`
      : `${n(seeded.events)} events (${n(seeded.acts)} acts, about 2 events each) seeded through the act codec in ${seeded.appendS.toFixed(0)} s, ` +
        `projected in ${seeded.projectS.toFixed(0)} s more (untimed), event file layout ${seeded.layout}`) +
      `; each route measured on an empty store, then on this one${f.warmUpS > 0 ? `, each time after ${f.warmUpS} s of the same load unmeasured` : ', without a warm-up'}`,
    ...table(routes),
    `start-up, spawn to /healthz and to /readyz 200: full ${start.full.liveS.toFixed(1)} s / ${start.full.readyS.toFixed(1)} s, ` +
      `empty ${start.empty.liveS.toFixed(1)} s / ${start.empty.readyS.toFixed(1)} s`,
    `RSS of the server: full ${mib(start.full.rssAtReadyBytes)} at ready, ${mib(f.peak.full)} peak under load; ` +
      `empty ${mib(start.empty.rssAtReadyBytes)} at ready, ${mib(f.peak.empty)} peak`,
    `on disk after seeding: event file ${mib(disk.eventFileBytes)} = ${n(disk.eventFileBytes / seeded.events)} bytes per event, ` +
      `${n(disk.eventFileBytes / seeded.acts)} per act; read models ${mib(disk.readModelBytes)} = ${n(disk.readModelBytes / seeded.acts)} bytes per act`,
    growth
      ? `a freshly registered act (pages in use before and after the register-act run): event file ${n(growth.full.eventFileBytes)} bytes on the full store ` +
        `(${n(growth.full.acts)} acts), ${n(growth.empty.eventFileBytes)} on the empty one (${n(growth.empty.acts)} acts); ` +
        `read models ${n(growth.full.readModelBytes)} and ${n(growth.empty.readModelBytes)}`
      : 'a freshly registered act: not measured (register-act left out by BENCH_SCALE_ROUTES)',
    replay
      ? `projection rebuild (ledger replay, ${replay.report.projections.length} projections): ${n(replay.report.events)} events in ${replay.seconds.toFixed(1)} s, ` +
        `${n(replay.report.events / replay.seconds)} events/s (${(replay.report.buildMs / 1000).toFixed(1)} s rebuilding: ` +
        `${n(replay.report.events / (replay.report.buildMs / 1000))} events/s; ${(replay.report.compareMs / 1000).toFixed(1)} s comparing)`
      : 'projection rebuild: not run (BENCH_SCALE_REPLAY=off)',
    ...routes.flatMap((r) => r.notes.map((note) => `note (${r.scenario.route}, ${note})`)),
  ];
  return lines.join('\n  ');
}

function table(routes: RouteOnBothStores[]): string[] {
  const header = ['route', 'empty req/s', 'full req/s', 'rate full/empty', 'empty p99 ms', 'full p99 ms', 'p99 full/empty', 'non-2xx e/f'];
  const body = routes.map(({ scenario, empty, full }) => [
    scenario.route,
    n(empty.okPerSecond),
    n(full.okPerSecond),
    ratio(full.okPerSecond, empty.okPerSecond),
    empty.p99Ms.toFixed(1),
    full.p99Ms.toFixed(1),
    ratio(full.p99Ms, empty.p99Ms),
    `${empty.non2xx + empty.errors}/${full.non2xx + full.errors}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)];
}
