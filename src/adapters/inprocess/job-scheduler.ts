import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import {
  assertJobSchedule,
  JobRunFailedError,
  JobSchedulerClosedError,
  UnknownJobError,
  type JobRun,
  type JobRunSummary,
  type JobSchedule,
  type JobScheduler,
} from '../../ports/job-scheduler.ts';

interface ScheduledJob {
  name: string;
  run: JobRun;
  /** Undefined once unscheduled: the job still runs on runNow. */
  everyMs: number | undefined;
  timer: NodeJS.Timeout | undefined;
  /** When the current interval timer was started (epoch ms): its ticks fall on multiples of everyMs after it. */
  timerStartedAt: number;
  /** The last queued run; the next one starts after it, so runs of one job never overlap. */
  tail: Promise<void>;
  /** Runs queued or in flight. */
  pending: number;
}

/**
 * The embedded default: timers in this process. Runs of one job are chained, never overlapping;
 * a tick that comes while a run is queued or in flight is skipped rather than piled up.
 * Processes do not share anything: run one embedded process per data dir.
 */
export class InProcessJobScheduler implements JobScheduler {
  private readonly jobs = new Map<string, ScheduledJob>();
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;

  constructor(private readonly options: { logger?: Logger } = {}) {}

  async schedule(name: string, everyMs: number, run: JobRun): Promise<void> {
    if (this.closed) throw new JobSchedulerClosedError();
    assertJobSchedule(name, everyMs);
    const existing = this.jobs.get(name);
    const job: ScheduledJob = existing ?? { name, run, everyMs: undefined, timer: undefined, timerStartedAt: 0, tail: Promise.resolve(), pending: 0 };
    job.run = run;
    this.jobs.set(name, job);
    if (job.everyMs === everyMs && job.timer) return;
    job.everyMs = everyMs;
    if (job.timer) clearInterval(job.timer);
    // unref: a pending purge must not keep a finished process alive.
    job.timer = setInterval(() => this.tick(job), everyMs).unref();
    job.timerStartedAt = Date.now();
    this.tick(job);
  }

  async runNow(name: string): Promise<JobRunSummary | undefined> {
    if (this.closed) throw new JobSchedulerClosedError();
    const job = this.jobs.get(name);
    if (!job) throw new UnknownJobError(name);
    return this.enqueue(job, 'manual');
  }

  async unschedule(name: string): Promise<void> {
    const job = this.jobs.get(name);
    if (!job) return;
    if (job.timer) clearInterval(job.timer);
    job.timer = undefined;
    job.everyMs = undefined;
  }

  async scheduleOf(name: string): Promise<JobSchedule | undefined> {
    const job = this.jobs.get(name);
    if (!job?.timer || job.everyMs === undefined) return undefined;
    const elapsed = Date.now() - job.timerStartedAt;
    const ticks = Math.floor(elapsed / job.everyMs) + 1;
    return { everyMs: job.everyMs, nextRunAt: new Date(job.timerStartedAt + ticks * job.everyMs) };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.jobs.values()) {
      if (job.timer) clearInterval(job.timer);
      job.timer = undefined;
    }
    await Promise.all([...this.inFlight]);
  }

  private tick(job: ScheduledJob): void {
    if (job.pending > 0 || this.closed) return;
    this.enqueue(job, 'schedule').catch((error: unknown) => {
      if (error instanceof JobSchedulerClosedError) return;
      this.options.logger?.error({ err: error, job: job.name }, 'scheduled job failed');
    });
  }

  private enqueue(job: ScheduledJob, trigger: 'schedule' | 'manual'): Promise<JobRunSummary | undefined> {
    const runId = trigger === 'schedule' ? `${job.name}:${Date.now()}` : `${job.name}:manual:${randomUUID()}`;
    job.pending += 1;
    const result = job.tail.then(async () => {
      // A run queued behind another is dropped when close() came in between.
      if (this.closed) throw new JobSchedulerClosedError();
      try {
        return (await job.run({ name: job.name, runId, trigger })) ?? undefined;
      } catch (error) {
        throw new JobRunFailedError(job.name, error instanceof Error ? error.message : String(error), { cause: error });
      }
    });
    const settled: Promise<void> = result.then(
      () => undefined,
      () => undefined,
    );
    job.tail = settled;
    this.inFlight.add(settled);
    void settled.then(() => {
      job.pending -= 1;
      this.inFlight.delete(settled);
    });
    return result;
  }
}
