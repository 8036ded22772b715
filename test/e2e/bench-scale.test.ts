import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../support/ledger.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);
const NUMBER = String.raw`\d[\d,]*(?:\.\d+)?`;

/** `npm run bench -- --only scale` on a tiny store: the same code path as at a million events, every figure printed. */
describe('the scale bench', () => {
  const kept = tempDir('bench-scale-kept-');
  const bench = (env: Record<string, string>) =>
    run(process.execPath, ['bin/ledger.mjs', 'bench', '--only', 'scale', '--duration', '1', '--connections', '10'], {
      cwd: ROOT,
      // The servers inherit the checkpoint interval: the result read waits for its receipt a second, not ten.
      env: { ...process.env, BENCH_SCALE_EVENTS: '2000', LEDGER_CHECKPOINT_EVERY: 'PT1S', ...env },
      timeout: 170_000,
    });

  it('seeds the store it was asked for, measures four routes on it and on an empty one, and prints every figure', async () => {
    const { stdout } = await bench({ BENCH_SCALE_DATA_DIR: kept, BENCH_SCALE_WARMUP: '1' });
    expect(stdout).toContain('each time after 1 s of the same load unmeasured');
    expect(stdout).toContain('warming POST /api/v1/acts up on the full store for 1 s');
    expect(stdout).toContain('scale: 2,000 events (1,000 acts');
    expect(stdout).toContain('event file layout 2;');
    for (const route of ['POST /api/v1/acts', 'code flow (register + code + phone + verify)', 'GET /api/v1/acts/{actId} (authorized)', 'POST /api/v1/public/verifications']) {
      // empty and full rate, their ratio, empty and full p99, their ratio, and no refusal on either store.
      const row = new RegExp(String.raw`^\s*${route.replace(/[()+{}/]/g, '\\$&')}\s+(${NUMBER})\s+(${NUMBER})\s+(${NUMBER})\s+(${NUMBER})\s+(${NUMBER})\s+(${NUMBER})\s+0/0$`, 'm').exec(stdout);
      expect(row, `${route} in\n${stdout}`).not.toBeNull();
      expect(Number(row![3])).toBeGreaterThan(0);
    }
    expect(stdout).toMatch(new RegExp(String.raw`start-up, spawn to /healthz and to /readyz 200: full ${NUMBER} s / ${NUMBER} s, empty ${NUMBER} s / ${NUMBER} s`));
    expect(stdout).toMatch(new RegExp(String.raw`RSS of the server: full [1-9]\d* MiB at ready, [1-9]\d* MiB peak under load; empty [1-9]\d* MiB at ready, [1-9]\d* MiB peak`));
    const disk = new RegExp(String.raw`on disk after seeding: event file ${NUMBER} MiB = (${NUMBER}) bytes per event, (${NUMBER}) per act; read models ${NUMBER} MiB = (${NUMBER}) bytes per act`).exec(stdout);
    expect(disk, stdout).not.toBeNull();
    const [perEvent, perAct] = [Number(disk![1]!.replaceAll(',', '')), Number(disk![2]!.replaceAll(',', ''))];
    // An event is a few hundred bytes of sealed JSON and its index entries; an act is two of them.
    expect(perEvent).toBeGreaterThan(200);
    expect(perEvent).toBeLessThan(20_000);
    expect(perAct).toBeGreaterThan(1.5 * perEvent);
    expect(stdout).toMatch(new RegExp(String.raw`a freshly registered act \(.*\): event file [1-9][\d,]* bytes on the full store \([1-9][\d,]* acts\), [1-9][\d,]* on the empty one \([1-9][\d,]* acts\); read models [1-9][\d,]* and [1-9][\d,]*`));
    expect(stdout).toMatch(new RegExp(String.raw`projection rebuild \(ledger replay, [1-9]\d* projections\): [1-9][\d,]* events in ${NUMBER} s, [1-9][\d,]* events/s`));
    expect(stdout).toMatch(/receipt issued/);
  }, 180_000);

  it('measures the store an earlier run seeded and kept (BENCH_SCALE_DATA_DIR), only the routes asked for, and leaves the rebuild out when told', async () => {
    const { stdout } = await bench({ BENCH_SCALE_DATA_DIR: kept, BENCH_SCALE_REPLAY: 'off', BENCH_SCALE_WARMUP: '0', BENCH_SCALE_ROUTES: 'public-lookup' });
    expect(stdout).toContain('without a warm-up');
    expect(stdout).toMatch(/scale: [1-9][\d,]* events \([1-9][\d,]* acts\) in a store seeded earlier \(BENCH_SCALE_DATA_DIR\), event file layout 2/);
    expect(stdout).toMatch(/^\s*POST \/api\/v1\/public\/verifications\s+[\d,]+\s/m);
    expect(stdout).not.toContain('POST /api/v1/acts ');
    expect(stdout).not.toContain('code flow');
    expect(stdout).toContain('a freshly registered act: not measured (register-act left out by BENCH_SCALE_ROUTES)');
    expect(stdout).toContain('projection rebuild: not run (BENCH_SCALE_REPLAY=off)');
    rmSync(kept, { recursive: true, force: true });
  }, 180_000);
});
