import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { solve } from '../support/act-flows.ts';
import { clientAssertion, providerKeyPair, type ProviderIdentity } from '../support/ledger.ts';
import { startServer, type RunningServer } from '../support/server.ts';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

async function tokenRequest(server: RunningServer, assertion: string): Promise<Response> {
  return fetch(`${server.url}/api/v1/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE, client_assertion: assertion }),
  });
}

/** A public lookup with the given solved captcha (the document hash does not matter here). */
function publicLookup(server: RunningServer, altcha: string): Promise<Response> {
  return fetch(`${server.url}/api/v1/public/verifications`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ documentHash: '0'.repeat(64), altcha }),
  });
}

function registration(server: RunningServer, body: unknown): Promise<Response> {
  return fetch(`${server.url}/api/v1/admin/providers`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe('durability of acknowledged writes (real server process, SIGKILL)', () => {
  const dirs: string[] = [];
  const servers: RunningServer[] = [];
  afterAll(async () => {
    for (const s of servers) await s.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('loses nothing it answered 201 or 200 for when killed with SIGKILL mid-burst', async () => {
    // A deployment keeps its public URL across restarts; tokens and assertions are bound to it.
    const env = { LEDGER_PUBLIC_URL: 'https://ledger.example' };
    const first = await startServer(env);
    servers.push(first);
    dirs.push(first.dataDir);

    // A provider, and an ActAs token issued to it before the crash.
    const pair = await providerKeyPair();
    const created = await registration(first, { name: 'Durable e-service', jwks: { keys: [pair.publicJwk] }, returnUrls: ['https://provider.example/return'] });
    expect(created.status).toBe(201);
    const provider: ProviderIdentity = { ...pair, providerId: ((await created.json()) as { providerId: string }).providerId };
    const assertion = await clientAssertion(provider, `${env.LEDGER_PUBLIC_URL}/api/v1/token`);
    const tokenRes = await tokenRequest(first, assertion);
    expect(tokenRes.status).toBe(200);
    const { access_token: accessToken } = (await tokenRes.json()) as { access_token: string };

    // A captcha spent just before the crash: its spend waits for no fsync, but must outlive the process.
    const altcha = await solve((await (await fetch(`${first.url}/api/v1/public/captcha`)).json()) as Parameters<typeof solve>[0]);
    expect((await publicLookup(first, altcha)).status).toBe(200);

    // A burst of registrations; the process is killed the moment the 150th 201 arrives, while the rest are in flight.
    const burst = 250;
    const killAfter = 150;
    const acknowledged = new Map<string, string>();
    let killed: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined;
    await Promise.allSettled(
      Array.from({ length: burst }, async (_, i) => {
        const name = `Burst provider ${i}`;
        const res = await registration(first, { name, jwks: { keys: [pair.publicJwk] } });
        if (res.status !== 201) return;
        const body = (await res.json()) as { providerId: string };
        if (killed) return; // answered after the kill was sent: do not count it
        acknowledged.set(body.providerId, name);
        if (acknowledged.size >= killAfter) killed = first.kill('SIGKILL');
      }),
    );
    expect(killed, 'the burst reached the kill point').toBeDefined();
    expect((await killed!).signal).toBe('SIGKILL');
    expect(acknowledged.size).toBe(killAfter);

    const second = await startServer({ ...env, LEDGER_ADMIN_TOKEN: first.adminToken }, { dataDir: first.dataDir });
    servers.push(second);
    const admin = { authorization: `Bearer ${second.adminToken}` };
    const missing: string[] = [];
    await Promise.all(
      [...acknowledged].map(async ([providerId, name]) => {
        const res = await fetch(`${second.url}/api/v1/admin/providers/${providerId}`, { headers: admin });
        if (res.status !== 200 || ((await res.json()) as { name: string }).name !== name) missing.push(providerId);
      }),
    );
    expect(missing, 'acknowledged registrations missing after restart').toEqual([]);
    const list = (await (await fetch(`${second.url}/api/v1/admin/providers`, { headers: admin })).json()) as { providers: unknown[] };
    expect(list.providers.length).toBeGreaterThanOrEqual(killAfter + 1);

    // The ledger's signing key, the used jti and the spent captcha survived too: the old token works, the old assertion does not.
    const me = await fetch(`${second.url}/api/v1/provider`, { headers: { authorization: `Bearer ${accessToken}` } });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { providerId: string }).providerId).toBe(provider.providerId);
    const replay = await tokenRequest(second, assertion);
    expect(replay.status).toBe(401);
    expect(((await replay.json()) as { reason?: string }).reason).toBe('replayed');
    const captchaReplay = await publicLookup(second, altcha);
    expect(captchaReplay.status).toBe(400);
    expect(((await captchaReplay.json()) as { type: string }).type).toBe('urn:problem:act-ledger:captcha-invalid');
  }, 120_000);
});
