/**
 * Repeating background jobs (the retention purge first). All adapters pass
 * test/contract/job-scheduler.contract.ts.
 *
 * Guarantees every adapter gives:
 * - a job with a new or changed interval runs at once, then every `everyMs`; the same interval
 *   again keeps the current timing;
 * - at most one run of a given job is in flight at a time, across every process sharing the
 *   backend (inprocess: within the one instance). Runs of different jobs may overlap;
 * - a run whose process dies or loses its backend mid-run can be run again (BullMQ stalled-job
 *   recovery), so a job must be idempotent: use `runId` to make what it writes repeatable.
 */
export interface JobScheduler {
  /** Registers or replaces job `name`: runs `run` at once and every `everyMs` in every process sharing the backend; JobBackendUnavailableError when it does not answer. */
  schedule(name: string, everyMs: number, run: JobRun): Promise<void>;
  /** Runs job `name` once as soon as no other run of it is in flight; resolves with that run's summary. */
  runNow(name: string): Promise<JobRunSummary | undefined>;
  /** Stops repeating job `name`; a run in flight finishes. */
  unschedule(name: string): Promise<void>;
  /** The repeat of job `name` as the backend holds it now, or undefined when it does not repeat. */
  scheduleOf(name: string): Promise<JobSchedule | undefined>;
  /** Stops starting runs, waits for the runs in flight to finish, and releases connections. */
  close(): Promise<void>;
}

export interface JobSchedule {
  everyMs: number;
  /** When the next scheduled run is due (it may start later while another run is in flight). */
  nextRunAt: Date;
}

/** One run of a job. Return figures worth reporting (counts, ids); they travel as JSON. */
export type JobRun = (context: JobRunContext) => Promise<JobRunSummary | void>;

export interface JobRunContext {
  name: string;
  /** Same on every attempt of one planned run (a re-run after a crash keeps it): base event ids on it. */
  runId: string;
  trigger: 'schedule' | 'manual';
}

export type SummaryValue = string | number | boolean | null | readonly SummaryValue[] | { readonly [key: string]: SummaryValue };

/** What a run reports, e.g. `{ purgedActs: 12 }`. */
export type JobRunSummary = { readonly [figure: string]: SummaryValue };

/** runNow named a job this scheduler was never given. */
export class UnknownJobError extends Error {
  override readonly name = 'UnknownJobError';
  constructor(readonly job: string) {
    super(`no job named ${job} is scheduled here`);
  }
}

/** The run started by runNow threw; `reason` is its message. */
export class JobRunFailedError extends Error {
  override readonly name = 'JobRunFailedError';
  constructor(
    readonly job: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`job ${job} failed: ${reason}`, options);
  }
}

/** The backend (Redis) does not answer now. A schedule or unschedule refused this way is applied once it answers again. */
export class JobBackendUnavailableError extends Error {
  override readonly name = 'JobBackendUnavailableError';
  constructor(readonly reason: string) {
    super(`job backend unavailable: ${reason}`);
  }
}

/** The scheduler was closed; it starts nothing more. */
export class JobSchedulerClosedError extends Error {
  override readonly name = 'JobSchedulerClosedError';
  constructor() {
    super('job scheduler is closed');
  }
}

/** Job names become Redis key parts and log fields: keep them plain. Intervals are whole ms, at least 10. */
export function assertJobSchedule(name: string, everyMs?: number): void {
  if (!/^[a-z][a-z0-9-]{0,63}$/.test(name)) throw new RangeError(`job name must be lowercase letters, digits and dashes: ${name}`);
  if (everyMs !== undefined && (!Number.isInteger(everyMs) || everyMs < 10)) {
    throw new RangeError(`job interval must be a whole number of ms, at least 10: ${everyMs}`);
  }
}
