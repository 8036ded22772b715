import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { clientAssertion, providerKeyPair, tempDir, type ProviderIdentity } from '../support/ledger.ts';
import { startProcess, startServer, type RunningProcess, type RunningServer } from '../support/server.ts';

const JANA = 'test-person-jana';
const ADMIN_TOKEN = 'lease-test-admin-token-0123456789';

interface ProjectionsCheck {
  ok: boolean;
  role: 'holder' | 'standby' | 'off';
  fencingToken?: number;
}

async function projectionsOf(process: RunningProcess): Promise<ProjectionsCheck> {
  const res = await fetch(`${process.url}/readyz`);
  return ((await res.json()) as { checks: { projections: ProjectionsCheck } }).checks.projections;
}

async function leaseHeldMetric(process: RunningProcess): Promise<number> {
  const text = await (await fetch(`${process.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('ledger_projection_lease_held '));
  return Number(line?.split(' ')[1]);
}

/** Polls `probe` until it answers something `done` accepts; fails with the last answer after `timeoutMs`. */
async function until<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await probe().catch(() => last);
    if (last !== undefined && done(last)) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} within ${timeoutMs} ms; last seen: ${JSON.stringify(last)}`);
}

/**
 * The production shape on one data dir (SQLite, several processes on this machine): two `serve`
 * processes with LEDGER_PROJECTIONS=off and two `ledger worker`s. One worker holds the projection
 * lease and keeps the read models and jobs; the acts registered through either serve reach them;
 * when the holder is killed, the other worker takes the lease over under a higher fencing token.
 */
describe('one projector among several processes on one store, and a take-over after SIGKILL', () => {
  const dataDir = tempDir('ledger-lease-');
  const started: RunningProcess[] = [];
  afterAll(async () => {
    for (const p of started) await p.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs exactly one projector, serves reads through either API process, and hands over when the holder dies', async () => {
    const env = {
      LEDGER_ADMIN_TOKEN: ADMIN_TOKEN,
      // Tokens are bound to the public URL: both API processes stand behind the same one.
      LEDGER_PUBLIC_URL: 'https://ledger.example',
      // Pending acts expire quickly and the sweep (a job, on the lease holder only) fails them soon after.
      LEDGER_ACT_LIFETIME: 'PT2S',
      LEDGER_EXPIRY_SWEEP_EVERY: 'PT1S',
    };
    const serve = async () => {
      const s = await startServer({ ...env, LEDGER_PROJECTIONS: 'off' }, { dataDir });
      started.push(s);
      return s;
    };
    const worker = async () => {
      const w = await startProcess({ args: ['bin/ledger.mjs', 'worker'], env: { HOST: '127.0.0.1', LEDGER_DATA_DIR: dataDir, ...env }, readyPath: '/healthz' });
      started.push(w);
      return w;
    };
    const apiA: RunningServer = await serve();
    const workers = [await worker(), await worker()];
    const apiB: RunningServer = await serve();

    // Exactly one projector: one worker holds the lease, the other stands by, the API processes never project.
    const roles = await until(() => Promise.all(workers.map(projectionsOf)), (r) => r.some((p) => p.role === 'holder' && p.ok), 15_000, 'a worker took the lease');
    expect(roles.map((r) => r.role).sort()).toEqual(['holder', 'standby']);
    for (const api of [apiA, apiB]) expect(await projectionsOf(api)).toMatchObject({ ok: true, role: 'off' });
    const holderIndex = roles.findIndex((r) => r.role === 'holder');
    const holder = workers[holderIndex]!;
    const standby = workers[1 - holderIndex]!;
    const firstToken = roles[holderIndex]!.fencingToken!;
    expect(firstToken).toBeGreaterThanOrEqual(1);
    expect(roles[1 - holderIndex]).not.toHaveProperty('fencingToken');
    expect(await Promise.all([holder, standby, apiA, apiB].map(leaseHeldMetric))).toEqual([1, 0, 0, 0]);

    // A provider, registered and signed in through API process A; its token works on B too.
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
    const pair = await providerKeyPair();
    const created = await fetch(`${apiA.url}/api/v1/admin/providers`, { method: 'POST', headers: admin, body: JSON.stringify({ name: 'Lease e-service', jwks: { keys: [pair.publicJwk] } }) });
    expect(created.status).toBe(201);
    const provider: ProviderIdentity = { ...pair, providerId: ((await created.json()) as { providerId: string }).providerId };
    const tokenRes = await fetch(`${apiA.url}/api/v1/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: await clientAssertion(provider, `${env.LEDGER_PUBLIC_URL}/api/v1/token`),
      }),
    });
    expect(tokenRes.status).toBe(200);
    const bearer = { authorization: `Bearer ${((await tokenRes.json()) as { access_token: string }).access_token}` };
    const seppRes = await fetch(`${apiA.url}/api/v1/admin/citizens/${JANA}/sepp?providerId=${provider.providerId}`, { headers: admin });
    const { sepp } = (await seppRes.json()) as { sepp: string };

    const register = async (api: RunningServer, n: number) => {
      const res = await fetch(`${api.url}/api/v1/acts`, {
        method: 'POST',
        headers: { ...bearer, 'content-type': 'application/json' },
        body: JSON.stringify({ sepp, documentHash: n.toString(16).padStart(64, '0'), name: `Lease act ${n}`, description: '' }),
      });
      expect(res.status).toBe(201);
      return ((await res.json()) as { actId: string }).actId;
    };
    const failedSeenThrough = async (api: RunningServer) => {
      const res = await fetch(`${api.url}/api/v1/failed-authorizations`, { headers: bearer });
      const body = (await res.json()) as { failedAuthorizations: Array<{ actId: string; reason: string }> };
      return new Map(body.failedAuthorizations.map((f) => [f.actId, f.reason]));
    };

    // Acts registered through A and through B expire; the holder's sweep fails them, its projections list them, and either API reads them.
    const throughA = await register(apiA, 1);
    const throughB = await register(apiB, 2);
    const seen = await until(() => failedSeenThrough(apiB), (m) => m.has(throughA) && m.has(throughB), 30_000, 'both acts listed as failed through B');
    expect(seen.get(throughA)).toBe('expired');
    expect(seen.get(throughB)).toBe('expired');
    expect((await failedSeenThrough(apiA)).has(throughB)).toBe(true);

    // Read-your-writes in a process that does not project: A's policy change waits on the shared checkpoint, so B reads it at once.
    const policy = { failedAuthorizationRetention: 'P45D', purgeEvery: 'PT3H' };
    const put = await fetch(`${apiA.url}/api/v1/admin/retention`, { method: 'PUT', headers: admin, body: JSON.stringify(policy) });
    expect(put.status).toBe(200);
    const readBack = (await (await fetch(`${apiB.url}/api/v1/admin/retention`, { headers: admin })).json()) as Record<string, unknown>;
    expect(readBack).toMatchObject(policy);

    // The holder dies without a word; the worker standing by takes the lease over under a higher token.
    expect((await holder.kill('SIGKILL')).signal).toBe('SIGKILL');
    // Ready once its projection thread runs (a moment after it took the lease).
    const after = await until(() => projectionsOf(standby), (p) => p.role === 'holder' && p.ok, 30_000, 'the standby worker took the lease over');
    expect(after.fencingToken).toBeGreaterThan(firstToken);
    expect(await Promise.all([standby, apiA, apiB].map(leaseHeldMetric))).toEqual([1, 0, 0]);

    // Projection (and the sweep) go on under the new holder.
    const afterTakeOver = await register(apiB, 3);
    const later = await until(() => failedSeenThrough(apiA), (m) => m.has(afterTakeOver), 30_000, 'the act registered after the take-over listed through A');
    expect(later.get(afterTakeOver)).toBe('expired');
  }, 180_000);
});
