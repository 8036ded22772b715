import { Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Logger } from 'pino';
import {
  assertTaskNames,
  pauseAfterThrow,
  TaskQueueClosedError,
  TaskQueueUnavailableError,
  type TaskHandler,
  type TaskPayload,
  type TaskQueue,
} from '../../ports/task-queue.ts';
import { closeWithin, redisConnection, withinTime } from './bounded-calls.ts';

export interface BullmqTaskQueueOptions {
  redisUrl: string;
  /** Redis key prefix; processes that share tasks use the same one. */
  prefix?: string;
  logger?: Logger;
  /** Runs of one queue at the same time in this process. */
  concurrency?: number;
  /** Runs of one task in all (retries included); past that BullMQ keeps it as failed and it is logged. */
  maxRuns?: number;
  /** An enqueue gives up after this long, ms: a request must answer while Redis is down. */
  operationTimeoutMs?: number;
  /** How long close() lets BullMQ finish its bookkeeping before dropping connections, ms. */
  closeTimeoutMs?: number;
  /** A running task's lock, renewed while it runs; a dead worker's task is taken back after it lapses, ms. */
  lockDurationMs?: number;
  /** How often workers look for tasks whose worker died, ms. */
  stalledIntervalMs?: number;
}

/** Thrown by the processor so BullMQ retries the task after the handler's own delay (the backoff strategy reads it). */
class RunAgain extends Error {
  override readonly name = 'RunAgain';
  constructor(readonly retryInMs: number) {
    super(`runs again in ${retryInMs} ms`);
  }
}

/**
 * Tasks on BullMQ: one queue per task queue, job id = task id (BullMQ adds nothing for an id it
 * holds), retries as BullMQ retries whose delay the handler chose, completed jobs removed at once.
 * A worker that dies mid-run loses its lock, and BullMQ's stalled-job check gives the task to
 * another worker. Enqueue fails fast while Redis is down; workers reconnect forever.
 */
export class BullmqTaskQueue implements TaskQueue {
  private readonly queues = new Map<string, Queue>();
  private readonly workers = new Map<string, Worker>();
  private readonly prefix: string;
  private readonly maxRuns: number;
  private closed = false;
  private lastError = '';

  constructor(private readonly options: BullmqTaskQueueOptions) {
    this.prefix = options.prefix ?? 'ledger';
    this.maxRuns = options.maxRuns ?? 100;
  }

  async enqueue(queue: string, taskId: string, payload: TaskPayload, options: { delayMs?: number } = {}): Promise<void> {
    if (this.closed) throw new TaskQueueClosedError();
    assertTaskNames(queue, taskId);
    const adding = this.queueFor(queue).add(queue, { ...payload }, {
      jobId: taskId,
      delay: Math.max(0, options.delayMs ?? 0),
      attempts: this.maxRuns,
      backoff: { type: 'task' },
      // Gone once done, so Redis holds only what is still to do; failed ones stay a while for an operator.
      removeOnComplete: true,
      removeOnFail: { age: 7 * 24 * 3600, count: 1_000 },
      stackTraceLimit: 0,
    });
    try {
      await withinTime(adding, this.options.operationTimeoutMs ?? 2_000);
    } catch (error) {
      throw new TaskQueueUnavailableError(error instanceof Error ? error.message : String(error));
    }
  }

  process(queue: string, handler: TaskHandler): void {
    if (this.closed) throw new TaskQueueClosedError();
    assertTaskNames(queue);
    if (this.workers.has(queue)) throw new Error(`queue ${queue} already has a handler in this process`);
    const worker = new Worker(queue, (job: Job) => this.runOnce(queue, handler, job), {
      connection: this.connection(true),
      prefix: this.prefix,
      concurrency: this.options.concurrency ?? 16,
      lockDuration: this.options.lockDurationMs ?? 30_000,
      stalledInterval: this.options.stalledIntervalMs ?? 15_000,
      // A task taken back from dead workers this often is given up (a task that kills its worker).
      maxStalledCount: 3,
      // BullMQ waits 15 s before fetching again after a connection error; tasks resume sooner.
      runRetryDelay: 1_000,
      settings: { backoffStrategy: (attemptsMade: number, _type?: string, err?: Error) => (err instanceof RunAgain ? err.retryInMs : pauseAfterThrow(attemptsMade)) },
    });
    worker.on('error', (error: Error) => this.reportOutage(error));
    worker.on('failed', (job: Job | undefined, error: Error) => {
      if (!job || error instanceof RunAgain) {
        if (job && job.attemptsMade >= this.maxRuns) this.options.logger?.error({ queue, taskId: job.id, run: job.attemptsMade }, 'task asked to run again past its runs; kept as failed');
        return;
      }
      const final = job.attemptsMade >= this.maxRuns;
      this.options.logger?.[final ? 'error' : 'warn']({ err: error, queue, taskId: job.id, run: job.attemptsMade }, final ? 'task failed on every run; kept as failed' : 'task failed; it runs again');
    });
    this.workers.set(queue, worker);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const closeTimeoutMs = this.options.closeTimeoutMs ?? 5_000;
    const bounded = (graceful: Promise<unknown>, force: () => unknown) =>
      closeWithin(graceful, force, closeTimeoutMs, () => this.options.logger?.warn('task queue did not close cleanly in time; connection dropped'));
    // Workers first: they stop fetching, and the runs in flight finish (however long they take)
    // before their result is recorded within a bounded time.
    await Promise.all([...this.workers.values()].map((worker) => worker.close().catch(() => worker.disconnect())));
    await Promise.all([...this.queues.values()].map((queue) => bounded(queue.close(), () => queue.disconnect())));
  }

  private async runOnce(queue: string, handler: TaskHandler, job: Job): Promise<void> {
    const outcome = await handler({
      queue,
      taskId: job.id!,
      payload: job.data as TaskPayload,
      // attemptsStarted also counts a run whose worker died; attemptsMade only the runs that ended.
      run: Math.max(job.attemptsStarted, job.attemptsMade + 1),
      enqueuedAt: job.timestamp,
    });
    if (outcome && typeof outcome === 'object') throw new RunAgain(Math.max(0, Math.round(outcome.retryInMs)));
  }

  private queueFor(name: string): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.connection(false), prefix: this.prefix });
      queue.on('error', (error: Error) => this.reportOutage(error));
      this.queues.set(name, queue);
    }
    return queue;
  }

  /** Workers block on Redis and retry forever; the enqueuing side fails fast so a request answers. */
  private connection(blocking: boolean): ConnectionOptions {
    return redisConnection(this.options.redisUrl, blocking);
  }

  /** One log line per kind of failure while Redis is away, not one per retry. */
  private reportOutage(error: Error): void {
    if (error.message === this.lastError) return;
    this.lastError = error.message;
    this.options.logger?.warn({ err: error }, 'task queue backend (redis) error');
  }
}
