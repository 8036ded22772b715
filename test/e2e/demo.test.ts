import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startServer, type RunningServer } from '../support/server.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

/** The README's second command: a provider's whole integration against a running simulator, by SMS code. */
describe('npm run demo against a running ledger', () => {
  let ledger: RunningServer;
  beforeAll(async () => {
    ledger = await startServer();
  });
  afterAll(async () => ledger?.stop());

  it('registers an act, follows the code\'s delivery until it is sent, reads it on the simulated phone and authorizes', async () => {
    const { stdout } = await run(process.execPath, ['bin/ledger.mjs', 'demo', 'README.md', `--admin-token=${ledger.adminToken}`, '--url', ledger.url], { cwd: ROOT, timeout: 60_000 });
    expect(stdout).toContain('delivery: sent');
    expect(stdout).toMatch(/the citizen's phone shows: ".*Kód: \d{6}\./);
    expect(stdout).toContain('verification: authorized');
  });

  it('prints the problem the ledger answered, without a stack trace, and exits 1', async () => {
    const failed = await run(process.execPath, ['bin/ledger.mjs', 'demo', 'README.md', '--admin-token', 'not-the-admin-token', '--url', ledger.url], { cwd: ROOT, timeout: 60_000 }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toBe('POST /api/v1/admin/providers answered 403 urn:problem:act-ledger:forbidden\n  Not allowed\n  this token does not grant admin access\n');
  });

  it('says so in one line when no ledger answers at the URL', async () => {
    const unused = `http://127.0.0.1:${await freePort()}`;
    const failed = await run(process.execPath, ['bin/ledger.mjs', 'demo', 'README.md', `--admin-token=${ledger.adminToken}`, '--url', unused], { cwd: ROOT, timeout: 60_000 }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toBe(`cannot reach the ledger at ${unused} (ECONNREFUSED); is \`npm start\` running there? (--url)\n`);
  });

  it('takes an admin token that starts with a dash as --admin-token=<token>, and says how in one line when given after a space', async () => {
    const spaced = await run(process.execPath, ['bin/ledger.mjs', 'demo', 'README.md', '--admin-token', '-starts-with-a-dash', '--url', ledger.url], { cwd: ROOT, timeout: 60_000 }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(spaced?.code).toBe(1);
    expect(spaced?.stderr).toMatch(/^Option '--admin-token' argument is ambiguous\. Give a value that starts with a dash as --option=value, e\.g\. --admin-token=<token>\.\n$/);
    // With `=`, the value is read as given: the ledger itself refuses this one.
    const joined = await run(process.execPath, ['bin/ledger.mjs', 'demo', 'README.md', '--admin-token=-starts-with-a-dash', '--url', ledger.url], { cwd: ROOT, timeout: 60_000 }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(joined?.stderr).toContain('403 urn:problem:act-ledger:forbidden');
  });
});
