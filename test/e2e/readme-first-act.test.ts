import { execFile, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../support/server.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The fenced block right after the README's `<!-- <file>: ... -->` marker, as a reader copies it. */
function readmeBlock(file: string): string {
  const lines = README.split('\n');
  const marker = lines.findIndex((line) => line.startsWith(`<!-- ${file}:`));
  if (marker < 0) throw new Error(`README.md has no block for ${file}`);
  const end = lines.findIndex((line, i) => i > marker + 1 && line === '```');
  return `${lines.slice(marker + 2, end).join('\n')}\n`;
}

/**
 * Runs `command` from the project root with only what the README tells a reader to set (and PATH),
 * `stdin` as its input; resolves with its exit code and output.
 */
function run(command: string, args: string[], env: Record<string, string>, stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(command, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin!.end(stdin);
  });
}

const EXPECTED = 'by code: authorized\nby authentication: authorized (authentication)\ncancelled: failed (cancelled)\n';
const missingTools = ['bash', 'curl', 'jq', 'openssl'].filter((tool) => spawnSync(tool, [tool === 'openssl' ? 'version' : '--version'], { stdio: 'ignore' }).status !== 0);
if (missingTools.length) console.log(`SKIPPED: the README's curl example (${missingTools.join(', ')} not installed)`);
const shellcheck = spawnSync('shellcheck', ['--version'], { stdio: 'ignore' }).status === 0;
if (!shellcheck) console.log("SKIPPED: linting the README's curl example (shellcheck not installed)");

/** The acceptance of the README's "First act in five minutes": its examples, as written, against a real server. */
describe("the README's first act in five minutes", () => {
  let ledger: RunningServer;
  let env: Record<string, string>;
  beforeAll(async () => {
    ledger = await startServer({ LOG_LEVEL: 'warn' });
    // What the section tells a reader to set: the printed admin token, and the URL when it is not the default.
    env = { LEDGER_ADMIN_TOKEN: ledger.adminToken, LEDGER_URL: ledger.url };
  });
  afterAll(async () => {
    await ledger?.stop();
    if (ledger) rmSync(ledger.dataDir, { recursive: true, force: true });
  });

  it('shows the example files as they are', () => {
    expect(readmeBlock('examples/first-act.mjs')).toBe(readFileSync(new URL('../../examples/first-act.mjs', import.meta.url), 'utf8'));
    expect(readmeBlock('examples/first-act.sh')).toBe(readFileSync(new URL('../../examples/first-act.sh', import.meta.url), 'utf8'));
  });

  it('authorizes an act by code and one by authentication, and reads back a cancelled one (the Node block, run as written)', async () => {
    // The block itself, not the file: what a reader pastes is what runs.
    const result = await run(process.execPath, ['--input-type=module', '-'], env, readmeBlock('examples/first-act.mjs'));
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(EXPECTED);
    expect(result.code).toBe(0);
  });

  it('stops at the first refusal and prints its problem type and detail (a wrong ledger URL spelling)', async () => {
    // localhost and 127.0.0.1 are different audiences: the newcomer's most likely slip.
    const result = await run(process.execPath, ['examples/first-act.mjs'], { ...env, LEDGER_URL: ledger.url.replace('127.0.0.1', 'localhost') });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`answered 401 urn:problem:act-ledger:invalid-client: aud must be "${ledger.url}/api/v1/token"`);
  });

  it.skipIf(!shellcheck)('has a curl example shellcheck finds nothing in', () => {
    const lint = spawnSync('shellcheck', ['-s', 'bash', '-'], { input: readmeBlock('examples/first-act.sh'), encoding: 'utf8' });
    expect(lint.stdout).toBe('');
    expect(lint.status).toBe(0);
  });

  it.skipIf(missingTools.length > 0)('does the same with curl (the curl block, run as written)', async () => {
    const result = await run('bash', ['-s'], env, readmeBlock('examples/first-act.sh'));
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(EXPECTED);
    expect(result.code).toBe(0);
  });
});
