import { parseArgs } from 'node:util';
import { passed, runCrashSuite, summaryLine } from './driver.ts';

/**
 * `npm run test:crash -- --cycles N [--seed S] [--verbose] [--keep]`: the crash suite from the
 * command line (`--verbose`: a line per cycle; `--keep`: keep the data dir). Problems go to stderr as they are found; stdout gets the one summary line. Exits 1
 * on any loss, duplicate, read-model mismatch or failed start.
 */
const { values } = parseArgs({
  options: {
    cycles: { type: 'string', default: '20' },
    seed: { type: 'string' },
    verbose: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});

const cycles = Number(values.cycles);
if (!Number.isInteger(cycles) || cycles < 1) {
  console.error(`--cycles must be a positive integer, not ${values.cycles}`);
  process.exit(2);
}
const seed = values.seed === undefined ? undefined : Number(values.seed);
if (seed !== undefined && (!Number.isInteger(seed) || seed < 0)) {
  console.error(`--seed must be a non-negative integer, not ${values.seed}`);
  process.exit(2);
}

// Ctrl-C: finish the cycle under way, check it, and print the summary of the cycles run.
const stop = new AbortController();
process.once('SIGINT', () => {
  console.error('crash: stopping after this cycle (Ctrl-C again to quit at once)');
  stop.abort();
  process.once('SIGINT', () => process.exit(130));
});

const result = await runCrashSuite({
  cycles,
  signal: stop.signal,
  ...(seed !== undefined ? { seed } : {}),
  verbose: values.verbose,
  keepDataDir: values.keep,
  log: (line) => console.error(line),
});
console.error(`crash: seed ${result.seed} (re-run with --seed ${result.seed}); ${result.serverErrors} server errors (5xx or dropped connections while alive)`);
console.log(summaryLine(result));
process.exit(passed(result) ? 0 : 1);
