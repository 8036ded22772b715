import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { decodeProtectedHeader, exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../support/server.ts';
import { tempDir } from '../support/ledger.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

/** `ledger admin token`, as a script calls it: a process of its own against a real server process. */
async function ledgerCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['bin/ledger.mjs', ...args], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'silent', ...env }, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('ledger admin token', () => {
  let server: RunningServer;
  let adminId: string;
  let keyFile: string;
  let publicKeyFile: string;

  beforeAll(async () => {
    server = await startServer({ LEDGER_ENVIRONMENT: 'simulator' });
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true });
    const publicJwk = { ...(await exportJWK(publicKey)), kid: 'cli-key' };
    const dir = tempDir('ledger-admin-key-');
    keyFile = join(dir, 'admin.jwk.json');
    publicKeyFile = join(dir, 'admin.pub.jwk.json');
    writeFileSync(keyFile, JSON.stringify({ ...(await exportJWK(privateKey)), kid: 'cli-key' }), { mode: 0o600 });
    writeFileSync(publicKeyFile, JSON.stringify(publicJwk));
    const res = await fetch(`${server.url}/api/v1/admin/admins`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Script admin', jwks: { keys: [publicJwk] }, roles: ['providers'] }),
    });
    expect(res.status).toBe(201);
    adminId = ((await res.json()) as { adminId: string }).adminId;
  }, 60_000);
  afterAll(async () => server?.stop());

  it('prints only an admin access token, which the admin API accepts for the admin\'s roles', async () => {
    const { code, stdout, stderr } = await ledgerCli(['admin', 'token', '--admin', adminId, '--key', keyFile, '--url', server.url]);
    expect(code, stderr).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const token = lines[0]!;
    expect(decodeProtectedHeader(token).typ).toBe('admin+jwt');
    const providers = await fetch(`${server.url}/api/v1/admin/providers`, { headers: { authorization: `Bearer ${token}` } });
    expect(providers.status).toBe(200);
    const retention = await fetch(`${server.url}/api/v1/admin/retention`, { headers: { authorization: `Bearer ${token}` } });
    expect(retention.status).toBe(403);
    expect(((await retention.json()) as { role: string }).role).toBe('retention');
  }, 60_000);

  it('takes the ledger URL from LEDGER_PUBLIC_URL when --url is left out', async () => {
    const { code, stdout, stderr } = await ledgerCli(['admin', 'token', '--admin', adminId, '--key', keyFile], { LEDGER_PUBLIC_URL: server.url });
    expect(code, stderr).toBe(0);
    expect(stdout.trim().split('.')).toHaveLength(3);
  }, 60_000);

  it('says why it got no token, on stderr, and prints nothing on stdout', async () => {
    const unknown = await ledgerCli(['admin', 'token', '--admin', 'adm_nobody', '--key', keyFile, '--url', server.url]);
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toMatch(/refused the admin token \(401, admin-unknown\)/);

    const publicOnly = await ledgerCli(['admin', 'token', '--admin', adminId, '--key', publicKeyFile, '--url', server.url]);
    expect(publicOnly.code).toBe(1);
    expect(publicOnly.stderr).toMatch(/this is a public key/);

    const usage = await ledgerCli(['admin', 'token', '--key', keyFile]);
    expect(usage.code).toBe(1);
    expect(usage.stderr).toMatch(/--admin and --key are required/);
  }, 60_000);
});
