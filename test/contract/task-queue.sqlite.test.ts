import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqlite, type SqliteDatabase } from '../../src/adapters/sqlite/database.ts';
import { SqliteTaskQueue, type SqliteTaskQueueOptions } from '../../src/adapters/sqlite/task-queue.ts';
import { openEventFile } from '../../src/composition/stores.ts';
import type { Task, TaskQueue } from '../../src/ports/task-queue.ts';
import { tempDir } from '../support/ledger.ts';
import { sleep, waitFor } from './job-scheduler.contract.ts';
import { taskQueueContract } from './task-queue.contract.ts';

// Each queue on its own connection to one file: two processes sharing a data dir.
taskQueueContract(
  'SQLite file',
  async () => {
    const dir = tempDir('task-queue-');
    const file = join(dir, 'ledger.sqlite');
    const opened: Array<{ db: SqliteDatabase; tasks: TaskQueue }> = [];
    return {
      open: async () => {
        const db = openSqlite(file);
        const tasks = new SqliteTaskQueue(db, { pollMs: 100 });
        opened.push({ db, tasks });
        return tasks;
      },
      cleanup: async () => {
        for (const { db, tasks } of opened.splice(0)) {
          await tasks.close();
          db.close();
        }
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
  { sharedAcrossInstances: true },
);

describe('SQLite task queue: claims, leases, and tasks written with an append', () => {
  let dir: string;
  let file: string;
  const opened: Array<{ db: SqliteDatabase; close(): Promise<void> | void }> = [];
  const open = (options: Omit<SqliteTaskQueueOptions, 'staging'> = {}) => {
    const db = openSqlite(file);
    const tasks = new SqliteTaskQueue(db, { pollMs: 50, ...options });
    opened.push({ db, close: () => tasks.close() });
    return { db, tasks };
  };
  beforeEach(() => {
    dir = tempDir('task-queue-');
    file = join(dir, 'ledger.sqlite');
  });
  afterEach(async () => {
    for (const one of opened.splice(0)) {
      await one.close();
      one.db.close();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('a task whose runner died (its claim left behind, its lease lapsed) runs again elsewhere, as the next run', async () => {
    const { db } = open();
    // What a process killed mid-run leaves: a claimed row whose lease ran out.
    db.prepare("INSERT INTO tasks (queue, task_id, payload, enqueued_at, due_at, runs, claim) VALUES ('deliveries', 'orphan', '{\"actId\":\"a-1\"}', ?, ?, 1, 'dead-runner:orphan')").run(Date.now() - 60_000, Date.now() - 1);
    const { tasks } = open();
    const runs: Task[] = [];
    tasks.process('deliveries', async (task) => {
      runs.push(task);
    });
    await waitFor('the orphan to run again', () => runs.length === 1);
    expect(runs[0]).toMatchObject({ taskId: 'orphan', run: 2, payload: { actId: 'a-1' } });
    await waitFor('the task to be gone', () => (db.prepare('SELECT COUNT(*) AS n FROM tasks').get() as { n: number }).n === 0);
  });

  it('a task held by a live runner is not taken by another process, even past its first lease', async () => {
    const first = open({ leaseMs: 300 });
    const second = open({ leaseMs: 300 });
    const runs: string[] = [];
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    first.tasks.process('deliveries', async () => {
      runs.push('first');
      await released;
    });
    await first.tasks.enqueue('deliveries', 'long', {});
    await waitFor('the first process to take it', () => runs.length === 1);
    second.tasks.process('deliveries', async () => {
      runs.push('second');
    });
    // Three leases long: the first process renews its claim while it works.
    await sleep(900);
    release();
    await sleep(300);
    expect(runs).toEqual(['first']);
  });

  it('two processes on one file run each of many tasks once, never the same task at once', async () => {
    const running = new Set<string>();
    const overlaps: string[] = [];
    const runs: Array<[string, string]> = [];
    const handler = (who: string) => async (task: Task) => {
      if (running.has(task.taskId)) overlaps.push(task.taskId);
      running.add(task.taskId);
      runs.push([who, task.taskId]);
      await sleep(20);
      running.delete(task.taskId);
    };
    const a = open({ concurrency: 4 });
    const b = open({ concurrency: 4 });
    a.tasks.process('deliveries', handler('a'));
    b.tasks.process('deliveries', handler('b'));
    await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 ? a : b).tasks.enqueue('deliveries', `task-${i}`, { i })));
    await waitFor('every task', () => runs.length >= 60, 15_000);
    await sleep(300);
    expect(overlaps).toEqual([]);
    expect(runs).toHaveLength(60);
    expect(new Set(runs.map(([, id]) => id)).size).toBe(60);
    // Both processes took part (each wakes at once on its own enqueues).
    expect(new Set(runs.map(([who]) => who))).toEqual(new Set(['a', 'b']));
  });

  it('a staged task is written by the next append, in its transaction, and runs then; a withdrawn one never', async () => {
    const { db, eventStore, stagedTasks } = openEventFile(file);
    const tasks = new SqliteTaskQueue(db, { pollMs: 50, staging: stagedTasks });
    opened.push({ db, close: () => tasks.close() });
    const runs: string[] = [];
    tasks.process('deliveries', async (task) => {
      runs.push(task.taskId);
    });
    const staged = tasks.stageWithNextAppend!('deliveries', 'with-event', { actId: 'a-1' });
    const withdrawn = tasks.stageWithNextAppend!('deliveries', 'refused', { actId: 'a-2' });
    await sleep(200);
    // Nothing in the file, nothing run, until an append carries it.
    expect(db.prepare('SELECT COUNT(*) AS n FROM tasks').get()).toEqual({ n: 0 });
    expect(runs).toEqual([]);
    withdrawn.withdraw();
    await eventStore.append('act-a-1', [{ type: 'CodeIssued', data: { codeId: 'with-event' }, metadata: { eventId: randomUUID(), correlationId: 'c-1', occurredAt: new Date().toISOString(), actor: 'test', schemaVersion: 1 } }], 'no-stream');
    await waitFor('the staged task to run', () => runs.length === 1);
    await sleep(200);
    expect(runs).toEqual(['with-event']);
    staged.withdraw(); // after it ran: nothing to take back
  });
});
