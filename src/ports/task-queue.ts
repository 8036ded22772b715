/**
 * One-off background tasks (a code's delivery first). All adapters pass
 * test/contract/task-queue.contract.ts.
 *
 * Guarantees every adapter gives:
 * - a task id is one task: enqueuing an id that is waiting, delayed or running adds nothing;
 * - at least once: a task runs until its handler says it is done; a run whose process died or lost
 *   its backend mid-run is run again (BullMQ: stalled-job recovery), so handlers must be idempotent;
 * - a handler that answers `{ retryInMs }` is run again, with the same payload, no sooner than that;
 *   one that throws is run again after a short growing pause, up to `maxRuns` runs in all;
 * - tasks of one queue run in any process that called `process` for it (none: they wait).
 */
export interface TaskQueue {
  /** Adds task `taskId` to `queue`, to run after `delayMs` (default at once); TaskQueueUnavailableError when the backend does not answer. */
  enqueue(queue: string, taskId: string, payload: TaskPayload, options?: { delayMs?: number }): Promise<void>;
  /** Runs the tasks of `queue` in this process through `handler`; one handler per queue and process. */
  process(queue: string, handler: TaskHandler): void;
  /** Stops taking tasks, waits for the runs in flight to finish, and releases connections. Waiting tasks stay queued (SQLite, BullMQ) or are dropped (in memory). */
  close(): Promise<void>;
  /**
   * Offered only by a queue kept in the event store's own file (the embedded default): stages a task
   * (to run at once) that is written inside the transaction of the next event append, so it is
   * durable exactly when that event is. The caller stages, then appends; if the append is not made,
   * it withdraws the task.
   */
  readonly stageWithNextAppend?: (queue: string, taskId: string, payload: TaskPayload) => StagedTask;
}

/** A task staged to go in with the next append. */
export interface StagedTask {
  /** Takes the task back (the append it waited for was refused); a run already started is not undone. */
  withdraw(): void;
}

/** What a task carries: flat JSON values. Nothing secret in clear (it may sit in Redis). */
export type TaskPayload = { readonly [field: string]: string | number | boolean | null };

export interface Task {
  queue: string;
  taskId: string;
  payload: TaskPayload;
  /** 1 on the first run of this task, then one more on each run (retries, and runs again after a crash). */
  run: number;
  /** When the task was first enqueued (epoch ms). */
  enqueuedAt: number;
}

/** Done (nothing, or `'done'`), or "run me again in `retryInMs`". */
export type TaskOutcome = void | 'done' | { retryInMs: number };

export type TaskHandler = (task: Task) => Promise<TaskOutcome>;

/** Queue names and task ids: letters, digits, `-` and `_` (BullMQ keys and job ids take them as they are). */
export const TASK_NAME = /^[A-Za-z0-9_-]{1,200}$/;

/** Refuses a queue name or task id the adapters cannot keep as they are. */
export function assertTaskNames(queue: string, taskId?: string): void {
  if (!TASK_NAME.test(queue)) throw new RangeError(`task queue name must match ${TASK_NAME}, got ${JSON.stringify(queue)}`);
  if (taskId !== undefined && !TASK_NAME.test(taskId)) throw new RangeError(`task id must match ${TASK_NAME}, got ${JSON.stringify(taskId)}`);
}

/** A pause before running again a task whose handler threw: 1 s, doubling, at most a minute. */
export function pauseAfterThrow(run: number): number {
  return Math.min(1_000 * 2 ** Math.max(0, run - 1), 60_000);
}

/** The backend (Redis) does not answer now: the task was not enqueued. */
export class TaskQueueUnavailableError extends Error {
  override readonly name = 'TaskQueueUnavailableError';
  constructor(readonly reason: string) {
    super(`task queue unavailable: ${reason}`);
  }
}

/** The queue was closed; it takes nothing more. */
export class TaskQueueClosedError extends Error {
  override readonly name = 'TaskQueueClosedError';
  constructor() {
    super('task queue is closed');
  }
}
