import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { openSqlite, type SqliteDatabase } from '../../src/adapters/sqlite/database.ts';
import { SqliteTaskQueue } from '../../src/adapters/sqlite/task-queue.ts';
import type { TaskQueue } from '../../src/ports/task-queue.ts';
import { tempDir } from '../support/ledger.ts';
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
