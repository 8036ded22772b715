import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../support/server.ts';

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
    const { stdout } = await run(process.execPath, ['bin/ledger.mjs', 'demo', 'README.md', '--admin-token', ledger.adminToken, '--url', ledger.url], { cwd: ROOT, timeout: 60_000 });
    expect(stdout).toContain('delivery: sent');
    expect(stdout).toMatch(/the citizen's phone shows: ".*Code: \d{6}\./);
    expect(stdout).toContain('verification: authorized');
  });
});
