import { once } from 'node:events';
import { Queue, QueueEvents, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { Redis } from 'ioredis';
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
import { closeWithin, reconnectDelay, redisConnection, withinTime } from './bounded-calls.ts';

export interface BullmqJobSchedulerOptions {
  redisUrl: string;
  /** Redis key prefix; processes that share jobs use the same one. */
  prefix?: string;
  /** false: this process only sets schedules (an API process); workers elsewhere run the jobs. */
  runJobs?: boolean;
  logger?: Logger;
  /** How often to look for schedules Redis lost (restarted without persistence), ms. */
  watchEveryMs?: number;
  /** A Redis call of schedule/unschedule/runNow gives up after this long, ms. */
  operationTimeoutMs?: number;
  /** How long close() lets BullMQ finish its bookkeeping before dropping connections, ms. */
  closeTimeoutMs?: number;
}

interface KnownJob {
  name: string;
  run: JobRun;
  /** The interval last set or seen here; undefined once unscheduled. */
  everyMs: number | undefined;
  /** A change Redis has not taken yet (it was down): the watcher applies it when Redis answers. */
  pending: 'upsert' | 'remove' | undefined;
  queue: Queue;
  worker: Worker | undefined;
  events: QueueEvents | undefined;
}

type RunResult = JobRunSummary | null;

/**
 * Jobs on BullMQ: one queue per job, its repeat held by a BullMQ job scheduler in Redis, so a
 * schedule set in any process holds for all of them. Global concurrency 1 on each queue means one
 * run at a time across every worker. Redis outages are logged, never thrown into the process;
 * a schedule Redis lost while down is put back from what this process last knew.
 */
export class BullmqJobScheduler implements JobScheduler {
  private readonly jobs = new Map<string, KnownJob>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly prefix: string;
  private readonly runJobs: boolean;
  private readonly operationTimeoutMs: number;
  private readonly closeTimeoutMs: number;
  /** A connection of our own for readiness; queues and workers have theirs. */
  private readonly control: Redis;
  private readonly watcher: NodeJS.Timeout;
  private watching = false;
  private closed = false;
  private lastError = '';

  constructor(private readonly options: BullmqJobSchedulerOptions) {
    this.prefix = options.prefix ?? 'ledger';
    this.runJobs = options.runJobs ?? true;
    this.operationTimeoutMs = options.operationTimeoutMs ?? 5_000;
    this.closeTimeoutMs = options.closeTimeoutMs ?? 5_000;
    this.control = new Redis(options.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false, retryStrategy: reconnectDelay });
    this.control.on('error', (error: Error) => this.reportOutage(error));
    this.control.on('ready', () => {
      if (this.lastError) this.options.logger?.info('job backend (redis) answers again');
      this.lastError = '';
    });
    this.watcher = setInterval(() => void this.reconcile(), options.watchEveryMs ?? 2_000).unref();
  }

  async schedule(name: string, everyMs: number, run: JobRun): Promise<void> {
    if (this.closed) throw new JobSchedulerClosedError();
    assertJobSchedule(name, everyMs);
    const job = this.known(name, run);
    job.run = run;
    job.everyMs = everyMs;
    job.pending = 'upsert';
    await this.timed(this.upsert(job, everyMs));
    if (job.everyMs === everyMs) job.pending = undefined;
  }

  async runNow(name: string): Promise<JobRunSummary | undefined> {
    if (this.closed) throw new JobSchedulerClosedError();
    const job = this.jobs.get(name);
    if (!job) throw new UnknownJobError(name);
    job.events ??= this.watchEvents(name);
    const events = job.events;
    // QueueEvents must listen before the job is added, or a quick run's completion is missed.
    await this.timed(events.waitUntilReady());
    const added = await this.timed(job.queue.add(name, {}, { removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } }));
    try {
      const result: unknown = await added.waitUntilFinished(events);
      return (result ?? undefined) as JobRunSummary | undefined;
    } catch (error) {
      throw new JobRunFailedError(name, error instanceof Error ? error.message : String(error), { cause: error });
    }
  }

  async unschedule(name: string): Promise<void> {
    if (this.closed) throw new JobSchedulerClosedError();
    assertJobSchedule(name);
    const job = this.jobs.get(name);
    if (!job) {
      await this.onQueue(name, (queue) => queue.removeJobScheduler(name));
      return;
    }
    job.everyMs = undefined;
    job.pending = 'remove';
    await this.timed(job.queue.removeJobScheduler(name));
    job.pending = undefined;
  }

  async scheduleOf(name: string): Promise<JobSchedule | undefined> {
    if (this.closed) throw new JobSchedulerClosedError();
    assertJobSchedule(name);
    const held = await this.onQueue(name, (queue) => queue.getJobScheduler(name));
    if (!held || typeof held.every !== 'number' || typeof held.next !== 'number') return undefined;
    return { everyMs: held.every, nextRunAt: new Date(held.next) };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.watcher);
    const jobs = [...this.jobs.values()];
    // Workers stop fetching at once; the runs already started are awaited, however long they take,
    // and only then is BullMQ's own bookkeeping (recording the result) given a bounded time.
    const workersClosing = jobs.flatMap((job) => (job.worker ? [{ worker: job.worker, graceful: job.worker.close() }] : []));
    for (const { graceful } of workersClosing) graceful.catch(() => undefined);
    await Promise.allSettled([...this.inFlight]);
    await Promise.all(workersClosing.map(({ worker, graceful }) => this.bounded(graceful, () => worker.disconnect())));
    await Promise.allSettled(jobs.flatMap((job) => [job.events, job.queue].map((part) => (part ? this.bounded(part.close(), () => part.disconnect()) : undefined))));
    await this.bounded(this.control.quit(), () => this.control.disconnect());
  }

  /** Whether Redis answers now, for /readyz; waits up to `waitMs` for a connection being made. */
  async ping(waitMs = 1_000): Promise<{ ok: boolean; latencyMs?: number; error?: string }> {
    const started = performance.now();
    try {
      if (this.control.status !== 'ready') await once(this.control, 'ready', { signal: AbortSignal.timeout(waitMs) });
      await this.timed(this.control.ping());
      return { ok: true, latencyMs: Math.round(performance.now() - started) };
    } catch (error) {
      return { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
  }

  private known(name: string, run: JobRun): KnownJob {
    const existing = this.jobs.get(name);
    if (existing) return existing;
    const job: KnownJob = { name, run, everyMs: undefined, pending: undefined, queue: this.newQueue(name), worker: undefined, events: undefined };
    if (this.runJobs) job.worker = this.newWorker(name);
    this.jobs.set(name, job);
    return job;
  }

  private async upsert(job: KnownJob, everyMs: number): Promise<void> {
    await job.queue.setGlobalConcurrency(1);
    await job.queue.upsertJobScheduler(job.name, { every: everyMs }, { name: job.name, data: {} });
  }

  /**
   * Applies changes Redis missed while down, follows changes other processes made, and puts back
   * schedules Redis lost (restarted without persistence). The global concurrency mark lives in the
   * queue's meta key, which unschedule leaves alone: its absence means the queue's data is gone.
   */
  private async reconcile(): Promise<void> {
    if (this.watching || this.closed) return;
    this.watching = true;
    try {
      for (const job of this.jobs.values()) {
        if (this.closed) break;
        await this.reconcileJob(job);
      }
    } catch {
      // Redis still away: the connection's error listener has said so; try again next round.
    } finally {
      this.watching = false;
    }
  }

  private async reconcileJob(job: KnownJob): Promise<void> {
    if (job.pending === 'remove') {
      await this.timed(job.queue.removeJobScheduler(job.name));
      job.pending = undefined;
      return;
    }
    if (job.pending === undefined) {
      const held = await this.timed(job.queue.getJobScheduler(job.name));
      const lost = !held && job.everyMs !== undefined && (await this.timed(job.queue.getGlobalConcurrency())) === null;
      // A schedule() or unschedule() here while we were asking knows better than what we read.
      if (job.pending !== undefined) return;
      if (!lost) {
        job.everyMs = typeof held?.every === 'number' ? held.every : undefined;
        return;
      }
    }
    const everyMs = job.everyMs;
    if (everyMs === undefined) return;
    const lostByRedis = job.pending === undefined;
    await this.timed(this.upsert(job, everyMs));
    this.options.logger?.warn({ job: job.name, everyMs, lostByRedis }, 'job schedule put back in redis');
    if (job.everyMs === everyMs) job.pending = undefined;
  }

  private async process(bullJob: Job): Promise<RunResult> {
    const job = this.jobs.get(bullJob.name);
    if (!job) throw new Error(`job ${bullJob.name} has no run in this process`);
    const trigger = bullJob.repeatJobKey ? 'schedule' : 'manual';
    const running = job.run({ name: job.name, runId: bullJob.id ?? `${job.name}:${bullJob.timestamp}`, trigger });
    this.inFlight.add(running);
    try {
      return (await running) ?? null;
    } finally {
      this.inFlight.delete(running);
    }
  }

  /** Runs `use` on the job's queue; a job this process does not know gets a queue for the call only. */
  private async onQueue<T>(name: string, use: (queue: Queue) => Promise<T>): Promise<T> {
    const job = this.jobs.get(name);
    if (job) return this.timed(use(job.queue));
    const queue = this.newQueue(name);
    try {
      return await this.timed(use(queue));
    } finally {
      await this.bounded(queue.close(), () => queue.disconnect());
    }
  }

  private newQueue(name: string): Queue {
    const queue = new Queue(queueName(name), { connection: this.connectionOptions(false), prefix: this.prefix });
    queue.on('error', (error: Error) => this.reportOutage(error));
    return queue;
  }

  private newWorker(name: string): Worker {
    const worker = new Worker(queueName(name), (job: Job) => this.process(job), {
      connection: this.connectionOptions(true),
      prefix: this.prefix,
      concurrency: 1,
      // BullMQ waits 15 s before fetching again after a connection error; jobs resume sooner.
      runRetryDelay: 1_000,
      removeOnComplete: { count: 100 },
      removeOnFail: { count: 100 },
    });
    worker.on('error', (error: Error) => this.reportOutage(error));
    worker.on('failed', (job: Job | undefined, error: Error) => {
      if (job?.repeatJobKey) this.options.logger?.error({ job: name, runId: job.id, err: error }, 'scheduled job failed');
    });
    return worker;
  }

  private watchEvents(name: string): QueueEvents {
    const events = new QueueEvents(queueName(name), { connection: this.connectionOptions(true), prefix: this.prefix });
    events.on('error', (error: Error) => this.reportOutage(error));
    return events;
  }

  private connectionOptions(blocking: boolean): ConnectionOptions {
    return redisConnection(this.options.redisUrl, blocking);
  }

  /** One log line per kind of failure while Redis is away, not one per retry. */
  private reportOutage(error: Error): void {
    if (error.message === this.lastError) return;
    this.lastError = error.message;
    this.options.logger?.warn({ err: error }, 'job backend (redis) error');
  }

  private timed<T>(operation: Promise<T>): Promise<T> {
    return withinTime(operation, this.operationTimeoutMs);
  }

  private bounded(graceful: Promise<unknown>, force: () => unknown): Promise<void> {
    return closeWithin(graceful, force, this.closeTimeoutMs, () => this.options.logger?.warn('job backend did not close cleanly in time; connection dropped'));
  }
}

function queueName(job: string): string {
  return `job-${job}`;
}
