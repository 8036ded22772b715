import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  JobRunFailedError,
  JobSchedulerClosedError,
  UnknownJobError,
  type JobRun,
  type JobRunContext,
  type JobRunSummary,
  type JobScheduler,
} from '../../src/ports/job-scheduler.ts';

export interface JobSchedulerUnderTest {
  /** A new scheduler on this test's backend; schedulers opened by one test share that backend when the adapter can. */
  open(): Promise<JobScheduler>;
  /** Closes whatever open() made and removes what the adapter stored. */
  cleanup(): Promise<void>;
}

export interface JobSchedulerContractOptions {
  /** Two schedulers opened by one test act as two processes on one backend (BullMQ); inprocess: false. */
  sharedAcrossInstances: boolean;
}

/** Records every run of a job: when it started, with what context, how many ran at once. */
export class RunRecorder {
  readonly starts: number[] = [];
  readonly contexts: JobRunContext[] = [];
  active = 0;
  maxActive = 0;
  finished = 0;
  /** When set, the next runs throw this message. */
  failWith: string | undefined;

  constructor(private readonly durationMs = 0) {}

  readonly run: JobRun = async (context) => {
    this.starts.push(Date.now());
    this.contexts.push(context);
    this.active += 1;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      if (this.durationMs > 0) await sleep(this.durationMs);
      if (this.failWith) throw new Error(this.failWith);
      const summary: JobRunSummary = { run: this.starts.length, trigger: context.trigger };
      return summary;
    } finally {
      this.active -= 1;
      this.finished += 1;
    }
  };

  get count(): number {
    return this.starts.length;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until `condition` holds; fails with `what` after `timeoutMs`. */
export async function waitFor(what: string, condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await sleep(20);
  }
}

/**
 * The JobScheduler contract. Timings are generous (two shared cores): each case asserts what an
 * operator would notice — a run that did or did not happen, two runs that overlapped — not
 * millisecond precision.
 */
export function jobSchedulerContract(name: string, makeSubject: () => Promise<JobSchedulerUnderTest>, options: JobSchedulerContractOptions): void {
  describe(`JobScheduler contract: ${name}`, () => {
    let subject: JobSchedulerUnderTest;
    let jobs: JobScheduler;

    beforeEach(async () => {
      subject = await makeSubject();
      jobs = await subject.open();
    });
    afterEach(async () => {
      await subject.cleanup();
    });

    it('runs a new job at once, not one interval later, and says when it runs next', async () => {
      const job = new RunRecorder();
      expect(await jobs.scheduleOf('purge')).toBeUndefined();
      await jobs.schedule('purge', 60_000, job.run);
      await waitFor('the first run', () => job.count === 1, 3_000);
      expect(job.contexts[0]).toMatchObject({ name: 'purge', trigger: 'schedule' });
      const held = await jobs.scheduleOf('purge');
      expect(held?.everyMs).toBe(60_000);
      const untilNext = held!.nextRunAt.getTime() - Date.now();
      expect(untilNext).toBeGreaterThan(50_000);
      expect(untilNext).toBeLessThanOrEqual(60_000);
    });

    it('repeats at about its interval', async () => {
      const job = new RunRecorder();
      await jobs.schedule('purge', 250, job.run);
      await waitFor('five runs', () => job.count >= 5, 6_000);
      // The first gap can be short (the first run waits for the worker to connect); the others track the interval.
      const gaps = job.starts.slice(1).map((t, i) => t - job.starts[i]!).slice(1);
      for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(150);
      const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
      expect(mean).toBeLessThan(600);
      expect(new Set(job.contexts.map((c) => c.runId)).size).toBe(job.count);
    });

    it('takes a new interval at once, faster or slower, without a restart', async () => {
      const job = new RunRecorder();
      await jobs.schedule('purge', 60_000, job.run);
      await waitFor('the first run', () => job.count === 1, 3_000);

      await jobs.schedule('purge', 150, job.run);
      expect((await jobs.scheduleOf('purge'))?.everyMs).toBe(150);
      await waitFor('runs at the faster interval', () => job.count >= 5, 4_000);

      await jobs.schedule('purge', 60_000, job.run);
      expect((await jobs.scheduleOf('purge'))?.everyMs).toBe(60_000);
      await sleep(600);
      const afterSlowing = job.count;
      await sleep(900);
      expect(job.count).toBe(afterSlowing);
    });

    it('keeps the timing when scheduled again with the same interval, and runs the new function from then on', async () => {
      const first = new RunRecorder();
      const second = new RunRecorder();
      await jobs.schedule('purge', 60_000, first.run);
      await waitFor('the first run', () => first.count === 1, 3_000);
      await jobs.schedule('purge', 60_000, second.run);
      await sleep(500);
      expect(first.count + second.count).toBe(1);
      await jobs.runNow('purge');
      expect(first.count).toBe(1);
      expect(second.count).toBe(1);
    });

    it('runNow runs the job once more and resolves with its summary', async () => {
      const job = new RunRecorder();
      await jobs.schedule('purge', 60_000, job.run);
      await waitFor('the first run', () => job.count === 1, 3_000);
      const summary = await jobs.runNow('purge');
      expect(summary).toEqual({ run: 2, trigger: 'manual' });
      await sleep(300);
      expect(job.count).toBe(2);
      expect(job.contexts[1]).toMatchObject({ name: 'purge', trigger: 'manual' });
      expect(job.contexts[1]!.runId).not.toBe(job.contexts[0]!.runId);
    });

    it('runNow rejects with the failure of the run; a failed scheduled run does not stop the schedule', async () => {
      const job = new RunRecorder();
      job.failWith = 'read model unavailable';
      await jobs.schedule('purge', 200, job.run);
      await waitFor('two failed runs', () => job.count >= 2, 4_000);
      const error = await jobs.runNow('purge').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(JobRunFailedError);
      expect(error).toMatchObject({ job: 'purge', reason: 'read model unavailable' });
      job.failWith = undefined;
      const before = job.count;
      await waitFor('runs after the failures', () => job.count >= before + 2, 4_000);
    });

    it('refuses runNow of a job it was never given, and names and intervals it cannot keep', async () => {
      await expect(jobs.runNow('never-scheduled')).rejects.toBeInstanceOf(UnknownJobError);
      await expect(jobs.schedule('purge', 0, new RunRecorder().run)).rejects.toBeInstanceOf(RangeError);
      await expect(jobs.schedule('Purge:all', 1_000, new RunRecorder().run)).rejects.toBeInstanceOf(RangeError);
    });

    it('never runs the same job twice at once, whatever the interval and manual runs', async () => {
      const job = new RunRecorder(200);
      await jobs.schedule('purge', 50, job.run);
      const manual = await Promise.all([jobs.runNow('purge'), jobs.runNow('purge'), jobs.runNow('purge')]);
      expect(manual).toHaveLength(3);
      await waitFor('several runs', () => job.count >= 5, 6_000);
      expect(job.maxActive).toBe(1);
    });

    it('stops repeating on unschedule, and can still be run by hand', async () => {
      const job = new RunRecorder();
      await jobs.schedule('purge', 100, job.run);
      await waitFor('two runs', () => job.count >= 2, 4_000);
      await jobs.unschedule('purge');
      expect(await jobs.scheduleOf('purge')).toBeUndefined();
      await sleep(300);
      const afterUnschedule = job.count;
      await sleep(700);
      expect(job.count).toBe(afterUnschedule);
      await jobs.runNow('purge');
      expect(job.count).toBe(afterUnschedule + 1);
    });

    it('close waits for the run in flight, then starts nothing more', async () => {
      const job = new RunRecorder(600);
      await jobs.schedule('purge', 100, job.run);
      await waitFor('a run in flight', () => job.active === 1, 3_000);
      await jobs.close();
      expect(job.active).toBe(0);
      expect(job.finished).toBe(job.count);
      const afterClose = job.count;
      await sleep(500);
      expect(job.count).toBe(afterClose);
      await expect(jobs.schedule('purge', 100, job.run)).rejects.toBeInstanceOf(JobSchedulerClosedError);
    });

    describe.runIf(options.sharedAcrossInstances)('two processes on one backend', () => {
      it('never run the same job at once, though both can run it', async () => {
        const other = await subject.open();
        const job = new RunRecorder(150);
        await jobs.schedule('purge', 50, job.run);
        await other.schedule('purge', 50, job.run);
        await Promise.all([jobs.runNow('purge'), other.runNow('purge'), jobs.runNow('purge'), other.runNow('purge')]);
        await waitFor('several runs', () => job.count >= 8, 8_000);
        expect(job.maxActive).toBe(1);
      });

      it('follow an interval set by either one, and the job goes on when the one that set it closes', async () => {
        const other = await subject.open();
        const job = new RunRecorder();
        await jobs.schedule('purge', 60_000, job.run);
        await other.schedule('purge', 60_000, job.run);
        await waitFor('the first run', () => job.count >= 1, 3_000);
        await sleep(300);
        expect(job.count).toBe(1);

        await jobs.schedule('purge', 150, job.run);
        expect((await other.scheduleOf('purge'))?.everyMs).toBe(150);
        await jobs.close();
        const afterClose = job.count;
        await waitFor('runs by the other process at the new interval', () => job.count >= afterClose + 4, 5_000);
      });
    });
  });
}
