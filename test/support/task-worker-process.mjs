// A process that takes tasks of one queue from BullMQ and never finishes them, so a test can kill it
// (SIGKILL) mid-run and see another worker take the task over once its lock lapses.
// Usage: node task-worker-process.mjs <redis url> <prefix> <queue>; prints "started <taskId> <run>".
import { register } from 'tsx/esm/api';

register();
const [redisUrl, prefix, queue] = process.argv.slice(2);
const { BullmqTaskQueue } = await import('../../src/adapters/bullmq/task-queue.ts');
const tasks = new BullmqTaskQueue({ redisUrl, prefix, lockDurationMs: 1_000, stalledIntervalMs: 500 });
tasks.process(queue, (task) => {
  process.stdout.write(`started ${task.taskId} ${task.run}\n`);
  return new Promise(() => undefined);
});
process.stdout.write('ready\n');
