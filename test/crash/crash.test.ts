import { describe, expect, it } from 'vitest';
import { runCrashSuite, summaryLine } from './driver.ts';

const CYCLES = 20;

describe('crash suite (real server process, SIGKILL at random points, restart on the same data dir)', () => {
  it(`loses, doubles and mis-projects nothing acknowledged over ${CYCLES} kill-and-restart cycles`, { timeout: 600_000 }, async () => {
    const seed = process.env.LEDGER_CRASH_SEED ? Number(process.env.LEDGER_CRASH_SEED) : undefined;
    const result = await runCrashSuite({ cycles: CYCLES, ...(seed !== undefined ? { seed } : {}), log: (line) => console.error(line) });
    console.log(`${summaryLine(result)} (seed ${result.seed})`);
    expect(result.aborted, `seed ${result.seed}`).toBeUndefined();
    expect(result.cycles, `cycles completed (seed ${result.seed})`).toBe(CYCLES);
    expect(result.acknowledged).toBeGreaterThan(0);
    expect({ lost: result.lost, duplicates: result.duplicates, mismatches: result.mismatches, failedStarts: result.failedStarts, problems: result.problems }, `seed ${result.seed}`).toEqual({
      lost: 0,
      duplicates: 0,
      mismatches: 0,
      failedStarts: 0,
      problems: result.problems.filter((p) => p.startsWith('crash: server-error')),
    });
  });
});
