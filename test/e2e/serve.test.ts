import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientAssertion, providerKeyPair, type ProviderIdentity } from '../support/ledger.ts';
import { startServer, type RunningServer } from '../support/server.ts';

describe('`ledger serve` as a real process', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server.stop();
    rmSync(server.dataDir, { recursive: true, force: true });
  });

  it('answers /healthz and /readyz', async () => {
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { eventStore: { ok: true } } });
  });

  it('serves the Swagger UI at /docs and the OpenAPI document at /openapi.json', async () => {
    const docs = await fetch(`${server.url}/docs`);
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-type')).toMatch(/text\/html/);
    expect(await docs.text()).toMatch(/swagger-ui/i);

    const spec = await fetch(`${server.url}/openapi.json`);
    expect(spec.status).toBe(200);
    const doc = (await spec.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/token', '/api/v1/admin/providers', '/healthz']));
  });

  it('publishes the key that verifies its ActAs tokens at /.well-known/jwks.json', async () => {
    const res = await fetch(`${server.url}/.well-known/jwks.json`);
    expect(res.status).toBe(200);
    const { keys } = (await res.json()) as { keys: Array<Record<string, unknown>> };
    expect(keys.length).toBeGreaterThanOrEqual(1);
    for (const key of keys) {
      expect(key.kid).toEqual(expect.any(String));
      expect(key).not.toHaveProperty('d'); // never the private part
    }
  });

  it('never writes a client assertion, an access token or the admin token to its logs', async () => {
    const pair = await providerKeyPair();
    const reg = await fetch(`${server.url}/api/v1/admin/providers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Logged e-service', jwks: { keys: [pair.publicJwk] } }),
    });
    expect(reg.status).toBe(201);
    const provider: ProviderIdentity = { ...pair, providerId: ((await reg.json()) as { providerId: string }).providerId };

    const assertion = await clientAssertion(provider, `${server.url}/api/v1/token`);
    const form = (a: string) =>
      new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: a });
    const ok = await fetch(`${server.url}/api/v1/token`, { method: 'POST', body: form(assertion) });
    expect(ok.status).toBe(200);
    const { access_token: accessToken } = (await ok.json()) as { access_token: string };
    const me = await fetch(`${server.url}/api/v1/provider`, { headers: { authorization: `Bearer ${accessToken}` } });
    expect(me.status).toBe(200);
    const replayed = await fetch(`${server.url}/api/v1/token`, { method: 'POST', body: form(assertion) });
    expect(replayed.status).toBe(401);

    // Log lines are written asynchronously; wait until the requests above show up.
    const deadline = Date.now() + 5000;
    while (!/client assertion refused/.test(server.logs()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const logs = server.logs();
    expect(logs).toContain('/api/v1/token');
    expect(logs).toContain('client assertion refused');
    const [, assertionPayload, assertionSignature] = assertion.split('.');
    const [, tokenPayload, tokenSignature] = accessToken.split('.');
    for (const secret of [assertion, assertionPayload!, assertionSignature!, accessToken, tokenPayload!, tokenSignature!, server.adminToken]) {
      expect(logs).not.toContain(secret);
    }
  });
});
