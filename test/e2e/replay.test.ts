import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLedger } from '../../src/composition/ledger.ts';
import { appendMixedActs, type ActEnding } from '../../bench/mixed-acts.ts';
import { ADMIN_TOKEN, tempDir, testBuildOptions, testConfig } from '../support/ledger.ts';
import { caughtUp, providerClient } from '../support/retention-ledger.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);
const ACTS = 3_000;

/**
 * `ledger replay` as an auditor runs it: a process of its own on the data dir of a ledger holding a
 * few thousand acts of every ending (a few through the API, the rest appended through the act
 * codec), before and after a retention purge (`ledger purge`, a process too), and once a live
 * read-model document was changed behind the ledger's back.
 */
describe('ledger replay', () => {
  const dataDir = tempDir('ledger-replay-');
  const env = { LEDGER_DATA_DIR: dataDir, LEDGER_ADMIN_TOKEN: ADMIN_TOKEN, LOG_LEVEL: 'silent' };
  let seeded: Record<ActEnding, string[]>;

  const ledgerCli = async (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    try {
      const { stdout, stderr } = await run(process.execPath, ['bin/ledger.mjs', ...args], { cwd: ROOT, env: { ...process.env, ...env }, timeout: 60_000 });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  };

  beforeAll(async () => {
    const ledger = await buildLedger(testConfig(env), testBuildOptions());
    try {
      await ledger.app.ready();
      const provider = await providerClient(ledger);
      // Failed long enough ago that the purge erases them (the purge goes in log order: they come first).
      const registeredAt = new Date(Date.now() - ledger.services.config.retention.failedAuthorizationRetentionMs - 86_400_000);
      seeded = await appendMixedActs(ledger.services, { count: ACTS, providerId: provider.providerId, registeredAt });
      // Recent ones through the API, which stay.
      for (let i = 0; i < 3; i++) await provider.authorizeByCode(await provider.register());
      await provider.failByWrongCodes(await provider.register());
      await provider.register();
      await caughtUp(ledger);
    } finally {
      await ledger.close();
    }
  }, 120_000);
  afterAll(() => {
    // Left for a failed run to be looked at when KEEP_TEST_DATA is set.
    if (!process.env.KEEP_TEST_DATA) void import('node:fs').then((fs) => fs.rmSync(dataDir, { recursive: true, force: true }));
  });

  it('finds no difference on a store of a few thousand acts of every ending', async () => {
    const replayed = await ledgerCli(['replay']);
    expect(replayed.stderr).toBe('');
    expect(replayed.code, replayed.stdout).toBe(0);
    expect(replayed.stdout).toMatch(/\nno differences\n$/);
    // Every projection was compared, on the whole log.
    // The codes whose delivery was never recorded are there to compare (the purge erases them next).
    const undelivered = /undelivered-codes v2 +at position \d+, \d+ events, (\d+) documents compared: no differences/.exec(replayed.stdout);
    expect(Number(undelivered?.[1])).toBe(seeded['expired-with-code-pending'].length);
    expect(Number(/replayed (\d+) events/.exec(replayed.stdout)?.[1])).toBeGreaterThan(ACTS * 3);
  }, 60_000);

  it('finds none after a retention purge either, and names a live document changed behind the ledger\'s back', async () => {
    const purged = await ledgerCli(['purge']);
    expect(purged.code, purged.stderr).toBe(0);
    const erased = seeded.refused.length + seeded.expired.length + seeded['expired-with-code-pending'].length + seeded.cancelled.length;
    expect(purged.stdout).toMatch(new RegExp(`^erased ${erased} failed authorizations`));

    const afterPurge = await ledgerCli(['replay']);
    expect(afterPurge.code, afterPurge.stdout).toBe(0);
    expect(afterPurge.stdout).toMatch(/\nno differences\n$/);

    const actId = seeded.authorized[7]!;
    const db = new Database(join(dataDir, 'read-models.verification-index.sqlite'));
    try {
      const { generation } = db.prepare(`SELECT generation FROM read_model_generations WHERE projection = 'verification-index' AND live = 1`).get() as { generation: number };
      const changed = db.prepare(`UPDATE "rm:verification_acts:g${generation}" SET doc = json_set(doc, '$.name', 'Forged name') WHERE id = ?`).run(actId);
      expect(changed.changes).toBe(1);
    } finally {
      db.close();
    }
    const tampered = await ledgerCli(['replay']);
    expect(tampered.code, tampered.stdout).toBe(1);
    expect(tampered.stdout).toMatch(/verification-index v\d+ +at position \d+, \d+ events, \d+ documents compared: 1 difference\n/);
    expect(tampered.stdout).toContain(`verification_acts ${actId}: live {`);
    expect(tampered.stdout).toMatch(new RegExp(`live \\{"actId":"${actId}",[^|]*"name":"Forged name".*\\| replayed \\{"actId":"${actId}","documentHash":"[0-9a-f]{64}","name":"Seeded act authoriz`));
    expect(tampered.stdout).toMatch(/\ndifferences in 1 projection\n$/);
  }, 90_000);
});
