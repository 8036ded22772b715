import { execFile } from 'node:child_process';
import { cpSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { solve } from '../support/act-flows.ts';
import { eventually } from '../support/delivery.ts';
import { tempDir } from '../support/ledger.ts';
import { httpApi, providerOverHttp } from '../support/provider-over-http.ts';
import { startServer, type RunningServer } from '../support/server.ts';
import { storedEvents } from '../support/stored-events.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FIXTURE = join(ROOT, 'test/fixtures/format-1');
const run = promisify(execFile);

interface Fixture {
  env: Record<string, string>;
  acts: Record<'authorized' | 'refused' | 'pending', { actId: string; documentHash: string; name: string }>;
  views: { authorized: { receipt: Record<string, unknown> } };
}

/**
 * A data dir written by the ledger before the compact layout (test/fixtures/format-1, see its
 * README): a version of today opens it as it is, reads and extends it in its own layout, and
 * `ledger store migrate` then copies it into the compact layout with every event as it was.
 */
describe('a data dir of an earlier version', () => {
  const fixture = JSON.parse(readFileSync(join(FIXTURE, 'fixture.json'), 'utf8')) as Fixture;
  const dataDir = tempDir('ledger-old-dir-');
  const eventFile = join(dataDir, 'ledger.sqlite');
  const env = { ...fixture.env, LOG_LEVEL: 'warn' };
  let server: RunningServer | undefined;

  const ledgerCli = async (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    try {
      const { stdout, stderr } = await run(process.execPath, ['bin/ledger.mjs', ...args], { cwd: ROOT, env: { ...process.env, ...env, LEDGER_DATA_DIR: dataDir }, timeout: 120_000 });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  };
  const layout = async () => (JSON.parse((await ledgerCli(['store', 'info', '--json'])).stdout) as { layout: number; events: number });
  const start = async () => {
    server = await startServer(env, { dataDir });
    const running = server;
    await eventually('the ledger ready on the old data dir', async () => ((await fetch(`${running.url}/readyz`)).status === 200 ? true : undefined), 30_000, 100);
    return running;
  };
  const stop = async () => {
    await server?.stop();
    server = undefined;
  };

  /** What anyone can check of the old acts: the public lookup and the receipt check. */
  const publicChecks = async (s: RunningServer) => {
    const altcha = await solve((await (await fetch(`${s.url}/api/v1/public/captcha`)).json()) as Parameters<typeof solve>[0]);
    const { documentHash } = fixture.acts.authorized;
    const lookup = await fetch(`${s.url}/api/v1/public/verifications`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ documentHash, altcha }) });
    expect(lookup.status).toBe(200);
    expect(JSON.stringify(await lookup.json())).toContain('authorized');
    const check = await fetch(`${s.url}/api/v1/public/receipts/verifications`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ receipt: fixture.views.authorized.receipt, documentHash }),
    });
    expect(await check.json()).toMatchObject({ genuine: true, inLog: true, matchesDocument: true, problems: [] });
  };

  beforeAll(() => {
    cpSync(join(FIXTURE, 'data-dir'), dataDir, { recursive: true });
  });
  afterAll(async () => {
    await stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  let asWritten: ReturnType<typeof storedEvents>;
  let newActId: string;

  it('opens as it is: the events read back, the public checks answer, a new act is written in the file\'s own layout', async () => {
    asWritten = storedEvents(eventFile);
    expect(asWritten.map((e) => e.type)).toContain('ActAuthorized');
    expect(await layout()).toMatchObject({ layout: 1, events: asWritten.length });

    const s = await start();
    await publicChecks(s);
    const { token } = await providerOverHttp(s, 'After the upgrade');
    const api = httpApi(s.url);
    const sepp = String((await api('GET', `/api/v1/admin/citizens/test-person-jana/sepp?providerId=${(await api('GET', '/api/v1/provider', undefined, token)).body.providerId}`, undefined, s.adminToken)).body.sepp);
    const registered = await api('POST', '/api/v1/acts', { sepp, documentHash: 'ab'.repeat(32), name: 'Registered after the upgrade', description: 'in the old file' }, token);
    expect(registered.status).toBe(201);
    newActId = String(registered.body.actId);
    expect((await api('GET', `/api/v1/acts/${newActId}`, undefined, token)).body).toMatchObject({ actId: newActId, status: 'pending' });

    // Refused while the ledger runs on the file.
    const refused = await ledgerCli(['store', 'migrate']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('stop every ledger process');
    await stop();

    // Nothing of what was there changed; the new events went in beside it, in layout 1.
    const after = storedEvents(eventFile);
    expect(after.slice(0, asWritten.length)).toEqual(asWritten);
    expect(after.some((e) => e.streamName === `act-${newActId}`)).toBe(true);
    expect(await layout()).toMatchObject({ layout: 1, events: after.length });
    // Every projection rebuilt from the old file's events agrees with the read models kept so far.
    const replayed = await ledgerCli(['replay']);
    expect(replayed.stdout).toContain('no differences');
    expect(replayed.code).toBe(0);
  });

  it('ledger store migrate copies it into the compact layout, every event as it was, and keeps the original', async () => {
    const before = storedEvents(eventFile);
    const migrated = await ledgerCli(['store', 'migrate', '--json']);
    expect(migrated.code, migrated.stderr).toBe(0);
    const report = JSON.parse(migrated.stdout) as { migrated: boolean; events: number; dataKeys: number; previousFile: string; bytesBefore: number; bytesAfter: number };
    expect(report).toMatchObject({ migrated: true, from: 1, to: 2, events: before.length });
    // The verification index leaves the shared read-model file for one of its own; the lookup below reads it there.
    expect(report).toMatchObject({ readModels: [{ projection: 'verification-index', moved: true, tables: 2 }] });
    expect(existsSync(join(dataDir, 'read-models.verification-index.sqlite'))).toBe(true);
    expect(report.dataKeys).toBeGreaterThanOrEqual(4);
    expect(existsSync(report.previousFile)).toBe(true);
    expect(await layout()).toMatchObject({ layout: 2, events: before.length });
    expect(storedEvents(eventFile)).toEqual(before);
    expect(storedEvents(report.previousFile)).toEqual(before);
    // Once more: nothing to do.
    expect((await ledgerCli(['store', 'migrate'])).stdout).toContain('nothing to do');

    const replayed = await ledgerCli(['replay']);
    expect(replayed.code, replayed.stdout).toBe(0);
    const s = await start();
    await publicChecks(s);
    const { token } = await providerOverHttp(s, 'After the migration');
    const api = httpApi(s.url);
    // Positions go on after the copied ones.
    const provider = await api('GET', '/api/v1/provider', undefined, token);
    expect(provider.status).toBe(200);
    await stop();
    const extended = storedEvents(eventFile);
    expect(extended.slice(0, before.length)).toEqual(before);
    expect(extended.at(-1)!.position).toBeGreaterThan(before.at(-1)!.position);
  });
});
