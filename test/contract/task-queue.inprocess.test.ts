import { InProcessTaskQueue } from '../../src/adapters/inprocess/task-queue.ts';
import type { TaskQueue } from '../../src/ports/task-queue.ts';
import { taskQueueContract } from './task-queue.contract.ts';

taskQueueContract(
  'in-process timers',
  async () => {
    const opened: TaskQueue[] = [];
    return {
      open: async () => {
        const tasks = new InProcessTaskQueue();
        opened.push(tasks);
        return tasks;
      },
      cleanup: async () => {
        await Promise.all(opened.map((tasks) => tasks.close()));
      },
    };
  },
  { sharedAcrossInstances: false },
);
