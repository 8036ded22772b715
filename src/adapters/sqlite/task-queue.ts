import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import {
  assertTaskNames,
  pauseAfterThrow,
  TaskQueueClosedError,
  type StagedTask,
  type TaskHandler,
  type TaskOutcome,
  type TaskPayload,
  type TaskQueue,
} from '../../ports/task-queue.ts';
import { commitLazily, type SqliteDatabase } from './database.ts';
import { GroupCommit, type SameTransactionWrite } from './group-commit.ts';

/**
 * One table holds every queue's tasks. `due_at` (epoch ms) is when the task may run next: its delay
 * or retry time while it waits, and the end of its runner's lease while it runs (the runner pushes
 * it forward as it works). A row whose `due_at` has passed can be claimed, whether it waited or its
 * runner died, so one column carries both. `claim` names the run that holds it: only that run may
 * finish, reschedule or renew it, so a runner that lost its lease cannot undo the next one's work.
 */
function ensureTaskTable(db: SqliteDatabase): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS tasks (
      queue       TEXT NOT NULL,
      task_id     TEXT NOT NULL,
      payload     TEXT NOT NULL,
      enqueued_at INTEGER NOT NULL,
      due_at      INTEGER NOT NULL,
      runs        INTEGER NOT NULL DEFAULT 0,
      claim       TEXT,
      PRIMARY KEY (queue, task_id)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS tasks_by_due ON tasks (queue, due_at);
  `);
}

interface NewTask {
  queue: string;
  taskId: string;
  payload: string;
  enqueuedAt: number;
  dueAt: number;
}

interface TaskRow {
  queue: string;
  task_id: string;
  payload: string;
  enqueued_at: number;
  runs: number;
  claim: string;
}

/**
 * Tasks staged to go into the ledger file inside the next event append's transaction, the way
 * SqliteKeyVault stages data keys: the event store is built with `writes` alongside its appends, so
 * a code's delivery task is durable exactly when (or before) its CodeIssued is, with no fsync of
 * its own. Staged tasks of a transaction that failed stay staged and go in with the next one.
 */
export class StagedTasks {
  private readonly staged = new Map<string, NewTask>();
  private writing: string[] = [];
  private readonly insert;
  private readonly forget;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly db: SqliteDatabase) {
    ensureTaskTable(db);
    this.insert = db.prepare<[string, string, string, number, number]>('INSERT OR IGNORE INTO tasks (queue, task_id, payload, enqueued_at, due_at) VALUES (?, ?, ?, ?, ?)');
    // Only a task no run has claimed yet: one that started is the runner's to finish.
    this.forget = db.prepare<[string, string]>('DELETE FROM tasks WHERE queue = ? AND task_id = ? AND runs = 0');
  }

  /** What the event store writes inside each append's transaction: the tasks staged since the last. */
  readonly writes: SameTransactionWrite = {
    write: () => {
      for (const task of this.staged.values()) this.insert.run(task.queue, task.taskId, task.payload, task.enqueuedAt, task.dueAt);
      this.writing = [...this.staged.keys()];
    },
    committed: () => {
      if (this.writing.length === 0) return;
      for (const key of this.writing) this.staged.delete(key);
      this.writing = [];
      // The queues in this process run them now rather than at their next poll.
      for (const wake of this.listeners) wake();
    },
  };

  stage(task: NewTask): StagedTask {
    const key = `${task.queue}\n${task.taskId}`;
    if (!this.staged.has(key)) this.staged.set(key, task);
    return {
      withdraw: () => {
        if (this.staged.get(key) === task) {
          this.staged.delete(key);
          return;
        }
        // Already written by a transaction that carried other appends: take it back unless it started.
        commitLazily(this.db, () => this.forget.run(task.queue, task.taskId));
      },
    };
  }

  /** Calls `listener` after a transaction wrote staged tasks; returns the way to stop. */
  onWritten(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

export interface SqliteTaskQueueOptions {
  logger?: Logger;
  /** Set when the event store is in this same file: `stageWithNextAppend` is offered. */
  staging?: StagedTasks;
  /** Runs of one queue at the same time in this process. */
  concurrency?: number;
  /** Runs of one task in all (runs whose process died included); past that it is dropped and logged. */
  maxRuns?: number;
  /** How long a claim holds a task without renewal, ms; a runner that died gives it up after this. */
  leaseMs?: number;
  /** How often this process looks for tasks another process enqueued, or whose runner died, ms. */
  pollMs?: number;
}

interface QueueState {
  name: string;
  handler: TaskHandler;
  running: Map<string, string>;
}

/**
 * The embedded default: tasks in the ledger's SQLite file, run by the processes that call `process`
 * (polling, and at once on an enqueue made here). Each run claims its task first with a lease
 * renewed while it runs; a process killed mid-run leaves a lease that lapses, and the next process
 * to look (another one on the same data dir, or this one restarted) runs the task again. Claims are
 * single UPDATE statements on one file, so two processes never hold the same task at once.
 *
 * Durability: an enqueue is committed and fsynced before it resolves (group-committed); a staged
 * task is durable with the append that carries it. Claims, renewals, retries and completions commit
 * without an fsync of their own: losing one in a crash only makes a task run again (at least once).
 */
export class SqliteTaskQueue implements TaskQueue {
  private readonly queues = new Map<string, QueueState>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly enqueues: GroupCommit<NewTask, void>;
  private readonly stmts;
  private readonly concurrency: number;
  private readonly maxRuns: number;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly stopWaking: () => void;
  private timer: NodeJS.Timeout | undefined;
  private renewals: NodeJS.Timeout | undefined;
  private pumping = false;
  private closed = false;

  /** Stages a task to be written with the next event append (the event store shares this file). */
  readonly stageWithNextAppend?: (queue: string, taskId: string, payload: TaskPayload) => StagedTask;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly options: SqliteTaskQueueOptions = {},
  ) {
    ensureTaskTable(db);
    this.concurrency = options.concurrency ?? 16;
    this.maxRuns = options.maxRuns ?? 100;
    this.leaseMs = options.leaseMs ?? 15_000;
    this.pollMs = options.pollMs ?? 500;
    this.stmts = {
      insert: db.prepare<[string, string, string, number, number]>('INSERT OR IGNORE INTO tasks (queue, task_id, payload, enqueued_at, due_at) VALUES (?, ?, ?, ?, ?)'),
      // One statement: SQLite runs it under the write lock, so of two processes only one claims a row.
      claim: db.prepare<[string, number, string, string, number, number, number]>(
        `UPDATE tasks SET claim = ? || task_id, due_at = ?, runs = runs + 1
          WHERE queue = ? AND task_id IN (
            SELECT task_id FROM tasks WHERE queue = ? AND due_at <= ? AND runs < ? ORDER BY due_at LIMIT ?)
          RETURNING queue, task_id, payload, enqueued_at, runs, claim`,
      ),
      renew: db.prepare<[number, string, string, string]>('UPDATE tasks SET due_at = ? WHERE queue = ? AND task_id = ? AND claim = ?'),
      later: db.prepare<[number, string, string, string]>('UPDATE tasks SET due_at = ?, claim = NULL WHERE queue = ? AND task_id = ? AND claim = ?'),
      done: db.prepare<[string, string, string]>('DELETE FROM tasks WHERE queue = ? AND task_id = ? AND claim = ?'),
      nextDue: db.prepare<[string], { due: number | null }>('SELECT MIN(due_at) AS due FROM tasks WHERE queue = ? AND runs < ' + this.maxRuns),
    };
    this.enqueues = new GroupCommit(db, (task: NewTask) => {
      this.stmts.insert.run(task.queue, task.taskId, task.payload, task.enqueuedAt, task.dueAt);
    });
    const staging = options.staging;
    this.stopWaking = staging ? staging.onWritten(() => this.wake()) : () => undefined;
    if (staging) {
      this.stageWithNextAppend = (queue, taskId, payload) => {
        if (this.closed) throw new TaskQueueClosedError();
        assertTaskNames(queue, taskId);
        const now = Date.now();
        return staging.stage({ queue, taskId, payload: JSON.stringify(payload), enqueuedAt: now, dueAt: now });
      };
    }
  }

  async enqueue(queue: string, taskId: string, payload: TaskPayload, options: { delayMs?: number } = {}): Promise<void> {
    if (this.closed) throw new TaskQueueClosedError();
    assertTaskNames(queue, taskId);
    const now = Date.now();
    await this.enqueues.submit({ queue, taskId, payload: JSON.stringify(payload), enqueuedAt: now, dueAt: now + Math.max(0, options.delayMs ?? 0) });
    this.wake();
  }

  process(queue: string, handler: TaskHandler): void {
    if (this.closed) throw new TaskQueueClosedError();
    assertTaskNames(queue);
    if (this.queues.has(queue)) throw new Error(`queue ${queue} already has a handler in this process`);
    this.queues.set(queue, { name: queue, handler, running: new Map() });
    this.renewals ??= setInterval(() => this.renewLeases(), Math.max(50, Math.floor(this.leaseMs / 3))).unref();
    this.wake();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopWaking();
    clearTimeout(this.timer);
    // Enqueues already accepted are committed; waiting tasks stay in the file for the next start.
    this.enqueues.flush();
    await Promise.all([...this.inFlight]);
    clearInterval(this.renewals);
  }

  /** Looks for due tasks on the next turn of the event loop (one look however many wake-ups). */
  private wake(): void {
    if (this.closed || this.queues.size === 0) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.pump(), 0).unref();
  }

  private pump(): void {
    if (this.closed || this.pumping) return;
    this.pumping = true;
    let nextLook = this.pollMs;
    try {
      const now = Date.now();
      for (const state of this.queues.values()) {
        const free = this.concurrency - state.running.size;
        if (free > 0) for (const row of this.stmts.claim.all(randomUUID() + ':', now + this.leaseMs, state.name, state.name, now, this.maxRuns, free) as TaskRow[]) this.start(state, row);
        // A retry or a delayed task due before the next poll is looked for at its time.
        const due = this.stmts.nextDue.get(state.name)?.due;
        if (due !== null && due !== undefined) nextLook = Math.min(nextLook, Math.max(0, due - Date.now()));
      }
    } catch (error) {
      // The file busy past the busy timeout (another process writing), or closing: the next look retries.
      this.options.logger?.warn({ err: error }, 'task queue could not look for due tasks; it looks again');
    } finally {
      this.pumping = false;
    }
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.pump(), Math.max(nextLook, 10)).unref();
  }

  private start(state: QueueState, row: TaskRow): void {
    state.running.set(row.task_id, row.claim);
    const running = this.runOnce(state, row).finally(() => {
      state.running.delete(row.task_id);
      this.inFlight.delete(running);
      this.wake();
    });
    this.inFlight.add(running);
  }

  private async runOnce(state: QueueState, row: TaskRow): Promise<void> {
    const where = { queue: state.name, taskId: row.task_id, run: row.runs };
    let outcome: TaskOutcome;
    try {
      outcome = await state.handler({ queue: state.name, taskId: row.task_id, payload: JSON.parse(row.payload) as TaskPayload, run: row.runs, enqueuedAt: row.enqueued_at });
    } catch (error) {
      if (row.runs >= this.maxRuns) {
        this.options.logger?.error({ err: error, ...where }, 'task failed on every run; dropped');
        this.finish(state, row);
        return;
      }
      this.options.logger?.warn({ err: error, ...where }, 'task failed; it runs again');
      outcome = { retryInMs: pauseAfterThrow(row.runs) };
    }
    if (outcome && typeof outcome === 'object') {
      if (row.runs >= this.maxRuns) {
        this.options.logger?.error(where, 'task asked to run again past its runs; dropped');
        this.finish(state, row);
        return;
      }
      this.write(() => this.stmts.later.run(Date.now() + Math.max(0, outcome.retryInMs), state.name, row.task_id, row.claim));
      return;
    }
    this.finish(state, row);
  }

  private finish(state: QueueState, row: TaskRow): void {
    this.write(() => this.stmts.done.run(state.name, row.task_id, row.claim));
  }

  /** Pushes the lease of every run in flight here forward, so no other process takes them over. */
  private renewLeases(): void {
    const until = Date.now() + this.leaseMs;
    for (const state of this.queues.values()) {
      for (const [taskId, claim] of state.running) this.write(() => this.stmts.renew.run(until, state.name, taskId, claim));
    }
  }

  /** A bookkeeping write; one that fails leaves the lease to lapse, and the task runs again. */
  private write(change: () => unknown): void {
    try {
      commitLazily(this.db, change);
    } catch (error) {
      this.options.logger?.warn({ err: error }, 'task queue could not record a run; the task may run again');
    }
  }
}
