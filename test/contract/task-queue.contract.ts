import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TaskQueueClosedError, type Task, type TaskOutcome, type TaskQueue } from '../../src/ports/task-queue.ts';
import { sleep, waitFor } from './job-scheduler.contract.ts';

export interface TaskQueueUnderTest {
  /** A new queue on this test's backend; queues opened by one test share that backend when the adapter can. */
  open(): Promise<TaskQueue>;
  /** Closes whatever open() made and removes what the adapter stored. */
  cleanup(): Promise<void>;
}

export interface TaskQueueContractOptions {
  /** Two queues opened by one test act as two processes on one backend (BullMQ); inprocess: false. */
  sharedAcrossInstances: boolean;
}

/** Records every run a handler was given, and answers what `answer` says for it. */
class RunLog {
  readonly runs: Array<Task & { at: number }> = [];
  constructor(private readonly answer: (task: Task) => Promise<TaskOutcome> | TaskOutcome = () => undefined) {}
  readonly handler = async (task: Task): Promise<TaskOutcome> => {
    this.runs.push({ ...task, at: Date.now() });
    return this.answer(task);
  };
  of(taskId: string) {
    return this.runs.filter((r) => r.taskId === taskId);
  }
}

/**
 * The TaskQueue contract. Timings are bounds (two shared cores): a run that did or did not happen,
 * a retry that did not come sooner than asked.
 */
export function taskQueueContract(name: string, makeSubject: () => Promise<TaskQueueUnderTest>, options: TaskQueueContractOptions): void {
  describe(`TaskQueue contract: ${name}`, () => {
    let subject: TaskQueueUnderTest;
    let tasks: TaskQueue;

    beforeEach(async () => {
      subject = await makeSubject();
      tasks = await subject.open();
    });
    afterEach(async () => {
      await subject.cleanup();
    });

    it('runs an enqueued task once, with its payload, as run 1', async () => {
      const log = new RunLog();
      tasks.process('deliveries', log.handler);
      await tasks.enqueue('deliveries', 'task-1', { actId: 'a-1', count: 3, sealed: true, none: null });
      await waitFor('the run', () => log.runs.length === 1);
      await sleep(300);
      expect(log.runs).toHaveLength(1);
      expect(log.runs[0]).toMatchObject({ queue: 'deliveries', taskId: 'task-1', payload: { actId: 'a-1', count: 3, sealed: true, none: null }, run: 1 });
    });

    it('the same task id twice while it waits is one task', async () => {
      const log = new RunLog();
      tasks.process('deliveries', log.handler);
      await tasks.enqueue('deliveries', 'task-1', { n: 1 }, { delayMs: 300 });
      await tasks.enqueue('deliveries', 'task-1', { n: 2 }, { delayMs: 300 });
      await tasks.enqueue('deliveries', 'task-2', { n: 3 }, { delayMs: 300 });
      await waitFor('both tasks', () => log.runs.length === 2);
      await sleep(500);
      expect(log.of('task-1')).toHaveLength(1);
      expect(log.of('task-1')[0]!.payload).toEqual({ n: 1 });
      expect(log.of('task-2')).toHaveLength(1);
    });

    it('a delayed task does not run before its delay', async () => {
      const log = new RunLog();
      tasks.process('deliveries', log.handler);
      const enqueuedAt = Date.now();
      await tasks.enqueue('deliveries', 'later', {}, { delayMs: 800 });
      await sleep(300);
      expect(log.runs).toHaveLength(0);
      await waitFor('the delayed run', () => log.runs.length === 1);
      expect(log.runs[0]!.at - enqueuedAt).toBeGreaterThanOrEqual(750);
    });

    it('runs a task again, no sooner than asked, until its handler is done; the run number grows', async () => {
      const log = new RunLog((task) => (task.run < 3 ? { retryInMs: 300 } : 'done'));
      tasks.process('deliveries', log.handler);
      await tasks.enqueue('deliveries', 'flaky', { actId: 'a-1' });
      await waitFor('three runs', () => log.runs.length === 3, 8_000);
      await sleep(500);
      expect(log.runs.map((r) => r.run)).toEqual([1, 2, 3]);
      expect(log.runs.every((r) => r.payload.actId === 'a-1')).toBe(true);
      for (let i = 1; i < log.runs.length; i++) expect(log.runs[i]!.at - log.runs[i - 1]!.at).toBeGreaterThanOrEqual(250);
    });

    it('runs a task whose handler threw again', async () => {
      const log = new RunLog((task) => {
        if (task.run === 1) throw new Error('event store away');
        return undefined;
      });
      tasks.process('deliveries', log.handler);
      await tasks.enqueue('deliveries', 'thrown', {});
      await waitFor('the second run', () => log.runs.length === 2, 8_000);
      await sleep(300);
      expect(log.runs.map((r) => r.run)).toEqual([1, 2]);
    });

    it('holds tasks enqueued before a handler is there, and runs them once one is', async () => {
      await tasks.enqueue('deliveries', 'early', { n: 1 });
      await sleep(200);
      const log = new RunLog();
      tasks.process('deliveries', log.handler);
      await waitFor('the held task', () => log.runs.length === 1);
    });

    it('keeps queues apart', async () => {
      const sms = new RunLog();
      const push = new RunLog();
      tasks.process('sms', sms.handler);
      tasks.process('push', push.handler);
      await tasks.enqueue('sms', 'same-id', { channel: 'sms' });
      await tasks.enqueue('push', 'same-id', { channel: 'push' });
      await waitFor('both', () => sms.runs.length === 1 && push.runs.length === 1);
      expect(sms.runs[0]!.payload).toEqual({ channel: 'sms' });
      expect(push.runs[0]!.payload).toEqual({ channel: 'push' });
    });

    it('close waits for a run in flight, then takes nothing more', async () => {
      let finished = false;
      const log = new RunLog(async () => {
        await sleep(400);
        finished = true;
      });
      tasks.process('deliveries', log.handler);
      await tasks.enqueue('deliveries', 'slow', {});
      await waitFor('the run to start', () => log.runs.length === 1);
      await tasks.close();
      expect(finished).toBe(true);
      await expect(tasks.enqueue('deliveries', 'after', {})).rejects.toBeInstanceOf(TaskQueueClosedError);
    });

    it('refuses a task id it could not keep as it is', async () => {
      await expect(tasks.enqueue('deliveries', 'act:1', {})).rejects.toBeInstanceOf(RangeError);
      await expect(tasks.enqueue('bad queue', 'task', {})).rejects.toBeInstanceOf(RangeError);
    });

    if (options.sharedAcrossInstances) {
      it('a task enqueued in one process runs in another, once', async () => {
        const worker = await subject.open();
        const log = new RunLog((task) => (task.run === 1 ? { retryInMs: 100 } : undefined));
        worker.process('deliveries', log.handler);
        await tasks.enqueue('deliveries', 'elsewhere', { actId: 'a-9' });
        await tasks.enqueue('deliveries', 'elsewhere', { actId: 'a-9' });
        await waitFor('the run and its retry in the worker', () => log.runs.length === 2, 8_000);
        await sleep(300);
        expect(log.runs.map((r) => [r.taskId, r.run])).toEqual([
          ['elsewhere', 1],
          ['elsewhere', 2],
        ]);
      });
    }
  });
}
