import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { clientAssertion, providerKeyPair, type ProviderIdentity } from '../support/ledger.ts';
import { startServer, type RunningServer } from '../support/server.ts';
import { startSmsGateway, type SmsGatewayStandIn } from '../support/standins.ts';
import { codeInText, eventually, settledDelivery, type DeliveredCodeView } from '../support/delivery.ts';

const JANA = 'test-person-jana';
// Tokens and assertions are bound to the public URL, which a deployment keeps across restarts.
const PUBLIC_URL = 'https://ledger.example';

describe('a code requested just before the process is killed is still delivered (real server process, SIGKILL)', () => {
  let sms: SmsGatewayStandIn | undefined;
  const servers: RunningServer[] = [];
  afterAll(async () => {
    for (const s of servers) await s.stop();
    for (const s of servers) rmSync(s.dataDir, { recursive: true, force: true });
    await sms?.stop();
  });

  it('answered pending, killed while the first send hangs at the gateway, restarted on the same data dir: the code ends sent', async () => {
    sms = await startSmsGateway();
    // The first send never gets an answer: the process dies with its delivery in flight.
    await sms.script('sms', { hang: true });
    const env = { ...sms.env, LEDGER_PUBLIC_URL: PUBLIC_URL };
    const first = await startServer(env);
    servers.push(first);

    const pair = await providerKeyPair();
    const admin = (server: RunningServer, path: string, body?: unknown) =>
      fetch(`${server.url}${path}`, {
        method: body ? 'POST' : 'GET',
        headers: { authorization: `Bearer ${server.adminToken}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      }).then(async (res) => (await res.json()) as Record<string, unknown>);
    const provider: ProviderIdentity = { ...pair, providerId: String((await admin(first, '/api/v1/admin/providers', { name: 'Durable codes e-service', jwks: { keys: [pair.publicJwk] } })).providerId) };
    const tokenRes = await fetch(`${first.url}/api/v1/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: await clientAssertion(provider, `${PUBLIC_URL}/api/v1/token`),
      }),
    });
    expect(tokenRes.status).toBe(200);
    const { access_token: token } = (await tokenRes.json()) as { access_token: string };
    const api = async (server: RunningServer, method: string, path: string, body?: unknown) => {
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };

    const sepp = String((await admin(first, `/api/v1/admin/citizens/${JANA}/sepp?providerId=${provider.providerId}`)).sepp);
    const act = await api(first, 'POST', '/api/v1/acts', { sepp, documentHash: 'd'.repeat(64), name: 'Durable code delivery' });
    expect(act.status).toBe(201);
    const actId = String(act.body.actId);
    const issued = await api(first, 'POST', `/api/v1/acts/${actId}/codes`, { channel: 'sms' });
    expect(issued.status).toBe(201);
    expect(issued.body.delivery).toBe('pending');
    const codeId = String(issued.body.codeId);

    await eventually('the first send to reach the gateway', async () => ((await sms!.received()).requests.length >= 1 ? true : undefined), 15_000);
    expect((await first.kill('SIGKILL')).signal).toBe('SIGKILL');

    // The same data dir: the task is in the ledger file, its dead runner's lease lapses, and the new process sends.
    const second = await startServer(env, { dataDir: first.dataDir });
    servers.push(second);
    const code = await settledDelivery(async () => (await api(second, 'GET', `/api/v1/acts/${actId}`)).body as { codes: DeliveredCodeView[] }, codeId, 45_000);
    expect(code).toMatchObject({ delivery: 'sent' });

    // Two requests for the one SMS, under the same idempotency key: the hung one and the one after the restart.
    const { requests, failures } = await sms.received();
    expect(failures).toEqual([]);
    expect(requests.map((r) => r.answered)).toEqual(['hang', 202]);
    expect(new Set(requests.map((r) => r.idempotencyKey)).size).toBe(1);
    // It carries the code the provider was given the SHA-256 of.
    const sent = codeInText(requests[1]!.body!.text);
    expect(createHash('sha256').update(`${actId}:${sent}`).digest('hex')).toBe(issued.body.codeSha256);
  }, 90_000);
});
