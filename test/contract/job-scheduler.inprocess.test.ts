import { InProcessJobScheduler } from '../../src/adapters/inprocess/job-scheduler.ts';
import type { JobScheduler } from '../../src/ports/job-scheduler.ts';
import { jobSchedulerContract } from './job-scheduler.contract.ts';

jobSchedulerContract(
  'in-process timers',
  async () => {
    const opened: JobScheduler[] = [];
    return {
      open: async () => {
        const jobs = new InProcessJobScheduler();
        opened.push(jobs);
        return jobs;
      },
      cleanup: async () => {
        await Promise.all(opened.map((jobs) => jobs.close()));
      },
    };
  },
  { sharedAcrossInstances: false },
);
