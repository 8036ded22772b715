import type { LedgerUnderLoad } from './ledger-fixture.ts';
import type { LoadSettings, LoadTarget } from './measure.ts';

/** What a scenario gets: the run's settings and the shared ledger (started on first use). */
export interface BenchContext {
  settings: LoadSettings;
  ledger(): Promise<LedgerUnderLoad>;
}

/** One row of the table: a route under load. Add one to bench/scenarios/index.ts to have it run. */
export interface Scenario {
  /** Short id, for `--only`. */
  id: string;
  /** What the table shows, e.g. "POST /api/v1/token". */
  route: string;
  /** The ceiling every other row is divided by; exactly one scenario has it. */
  baseline?: boolean;
  /** Setup outside the timed loop; `close` undoes what setup started. */
  prepare(context: BenchContext): Promise<{ target: LoadTarget; note?: () => string | undefined; close?: () => Promise<void> }>;
}

/** A measurement that is no HTTP route (a background job): it sets itself up, times itself, and reports one line. */
export interface Workload {
  /** Short id, for `--only`. */
  id: string;
  /** What the line is about, e.g. "retention purge". */
  name: string;
  run(context: BenchContext): Promise<string>;
}
