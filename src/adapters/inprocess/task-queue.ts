import type { Logger } from 'pino';
import {
  assertTaskNames,
  pauseAfterThrow,
  TaskQueueClosedError,
  type TaskHandler,
  type TaskOutcome,
  type TaskPayload,
  type TaskQueue,
} from '../../ports/task-queue.ts';

interface HeldTask {
  taskId: string;
  payload: TaskPayload;
  run: number;
  enqueuedAt: number;
  timer: NodeJS.Timeout | undefined;
}

interface QueueState {
  name: string;
  tasks: Map<string, HeldTask>;
  /** Tasks whose time has come, in the order it came, waiting for a free slot (or for a handler). */
  due: HeldTask[];
  running: number;
  handler: TaskHandler | undefined;
}

export interface InProcessTaskQueueOptions {
  logger?: Logger;
  /** Runs of one queue at the same time. */
  concurrency?: number;
  /** Runs of one task in all, counting runs that threw; past that the task is dropped and logged. */
  maxRuns?: number;
}

// setTimeout takes at most a signed 32-bit number of ms; a longer wait is cut to it (about 24 days).
const LONGEST_TIMER_MS = 2 ** 31 - 1;

/**
 * The embedded default: timers in this process. Tasks live in memory, so a task the process had
 * not finished when it stopped is gone; that is the embedded mode's bargain (one process, one data dir).
 */
export class InProcessTaskQueue implements TaskQueue {
  private readonly queues = new Map<string, QueueState>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly concurrency: number;
  private readonly maxRuns: number;
  private closed = false;

  constructor(private readonly options: InProcessTaskQueueOptions = {}) {
    this.concurrency = options.concurrency ?? 16;
    this.maxRuns = options.maxRuns ?? 100;
  }

  async enqueue(queue: string, taskId: string, payload: TaskPayload, options: { delayMs?: number } = {}): Promise<void> {
    if (this.closed) throw new TaskQueueClosedError();
    assertTaskNames(queue, taskId);
    const state = this.queueState(queue);
    if (state.tasks.has(taskId)) return;
    const task: HeldTask = { taskId, payload: { ...payload }, run: 0, enqueuedAt: Date.now(), timer: undefined };
    state.tasks.set(taskId, task);
    this.later(state, task, options.delayMs ?? 0);
  }

  process(queue: string, handler: TaskHandler): void {
    if (this.closed) throw new TaskQueueClosedError();
    assertTaskNames(queue);
    const state = this.queueState(queue);
    if (state.handler) throw new Error(`queue ${queue} already has a handler in this process`);
    state.handler = handler;
    this.pump(queue, state);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const state of this.queues.values()) {
      for (const task of state.tasks.values()) clearTimeout(task.timer);
      state.due.length = 0;
    }
    await Promise.all([...this.inFlight]);
  }

  private queueState(queue: string): QueueState {
    let state = this.queues.get(queue);
    if (!state) {
      state = { name: queue, tasks: new Map(), due: [], running: 0, handler: undefined };
      this.queues.set(queue, state);
    }
    return state;
  }

  private later(state: QueueState, task: HeldTask, delayMs: number): void {
    // unref: a task waiting for its time must not keep a finished process alive.
    task.timer = setTimeout(() => {
      task.timer = undefined;
      state.due.push(task);
      this.pump(state.name, state);
    }, Math.min(Math.max(0, delayMs), LONGEST_TIMER_MS)).unref();
  }

  private pump(queue: string, state: QueueState): void {
    while (!this.closed && state.handler && state.running < this.concurrency && state.due.length > 0) {
      const task = state.due.shift()!;
      state.running += 1;
      const running = this.runOnce(queue, state, state.handler, task).finally(() => {
        state.running -= 1;
        this.inFlight.delete(running);
        this.pump(queue, state);
      });
      this.inFlight.add(running);
    }
  }

  private async runOnce(queue: string, state: QueueState, handler: TaskHandler, task: HeldTask): Promise<void> {
    task.run += 1;
    let outcome: TaskOutcome;
    try {
      outcome = await handler({ queue, taskId: task.taskId, payload: task.payload, run: task.run, enqueuedAt: task.enqueuedAt });
    } catch (error) {
      if (task.run >= this.maxRuns) {
        this.options.logger?.error({ err: error, queue, taskId: task.taskId, run: task.run }, 'task failed on every run; dropped');
        state.tasks.delete(task.taskId);
        return;
      }
      this.options.logger?.warn({ err: error, queue, taskId: task.taskId, run: task.run }, 'task failed; it runs again');
      outcome = { retryInMs: pauseAfterThrow(task.run) };
    }
    if (outcome && typeof outcome === 'object' && !this.closed) {
      if (task.run >= this.maxRuns) {
        this.options.logger?.error({ queue, taskId: task.taskId, run: task.run }, 'task asked to run again past its runs; dropped');
        state.tasks.delete(task.taskId);
        return;
      }
      this.later(state, task, outcome.retryInMs);
      return;
    }
    state.tasks.delete(task.taskId);
  }
}
