import { assertJobSchedule, type JobRun, type JobRunSummary, type JobSchedule, type JobScheduler } from '../../ports/job-scheduler.ts';
import type { ProjectionDuty } from './leased-projections.ts';

/**
 * In-process jobs run only where the projection lease is held: timers are process-local, so two
 * processes on one data dir would otherwise both purge and sweep. Schedules given here are kept;
 * they reach the timers while on duty and leave them when the duty stops. Off duty, `runNow` runs
 * nothing (the holder's schedule does it) and answers undefined.
 */
export class OnDutyJobScheduler implements JobScheduler, ProjectionDuty {
  private readonly wanted = new Map<string, { everyMs: number; run: JobRun }>();
  private onDuty = false;

  constructor(private readonly timers: JobScheduler) {}

  async start(): Promise<void> {
    this.onDuty = true;
    for (const [name, { everyMs, run }] of this.wanted) await this.timers.schedule(name, everyMs, run);
  }

  async stop(): Promise<void> {
    this.onDuty = false;
    for (const name of this.wanted.keys()) await this.timers.unschedule(name);
  }

  async schedule(name: string, everyMs: number, run: JobRun): Promise<void> {
    assertJobSchedule(name, everyMs);
    this.wanted.set(name, { everyMs, run });
    if (this.onDuty) await this.timers.schedule(name, everyMs, run);
  }

  async runNow(name: string): Promise<JobRunSummary | undefined> {
    if (!this.onDuty) return undefined;
    return this.timers.runNow(name);
  }

  async unschedule(name: string): Promise<void> {
    this.wanted.delete(name);
    await this.timers.unschedule(name);
  }

  async scheduleOf(name: string): Promise<JobSchedule | undefined> {
    return this.onDuty ? this.timers.scheduleOf(name) : undefined;
  }

  async close(): Promise<void> {
    this.onDuty = false;
    await this.timers.close();
  }
}
