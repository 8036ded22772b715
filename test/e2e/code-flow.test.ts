import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProviderIdentity } from '../support/ledger.ts';
import { providerOverHttp } from '../support/provider-over-http.ts';
import { startServer, type RunningServer } from '../support/server.ts';
import { storedEvents } from '../support/stored-events.ts';
import { deliveredMessageFrom, settledDelivery, type DeliveredCodeView } from '../support/delivery.ts';

const JANA = 'test-person-jana';

/** Everything written under a directory, as one buffer per file. */
function filesUnder(dir: string): Array<{ path: string; bytes: Buffer }> {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [{ path, bytes: readFileSync(path) }];
  });
}

describe('the code flow over HTTP against the real server process', () => {
  let server: RunningServer;
  let provider: ProviderIdentity;
  let token: string;
  const secrets: string[] = [];
  const personal: string[] = [];

  const api = async (method: string, path: string, body?: unknown, bearer = token) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${bearer}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    server = await startServer({ LOG_LEVEL: 'debug' });
    ({ provider, token } = await providerOverHttp(server, 'E2E e-service'));
  });
  afterAll(async () => {
    await server?.stop();
    if (server) rmSync(server.dataDir, { recursive: true, force: true });
  });

  for (const channel of ['sms', 'mobile-key'] as const) {
    it(`a provider registers an act, the citizen gets a code by ${channel}, the provider confirms it: authorized`, async () => {
      const { body: seppBody } = await api('GET', `/api/v1/admin/citizens/${JANA}/sepp?providerId=${provider.providerId}`, undefined, server.adminToken);
      const sepp = String(seppBody.sepp);
      const documentHash = createHash('sha256').update(randomBytes(1000)).digest('hex');
      const name = `Building permit ${channel} ${randomBytes(4).toString('hex')}`;
      const description = `Application for a building permit, parcel ${randomBytes(4).toString('hex')}`;
      personal.push(sepp, documentHash, name, description);

      const act = await api('POST', '/api/v1/acts', { sepp, documentHash, name, description });
      expect(act.status).toBe(201);
      const actId = String(act.body.actId);
      const issued = await api('POST', `/api/v1/acts/${actId}/codes`, { channel });
      expect(issued.status).toBe(201);
      // The answer comes before the delivery; the act shows it pending, then sent.
      expect(issued.body.delivery).toBe('pending');
      const delivery = await settledDelivery(async () => (await api('GET', `/api/v1/acts/${actId}`)).body as { codes: DeliveredCodeView[] }, String(issued.body.codeId));
      expect(delivery).toMatchObject({ channel, delivery: 'sent' });

      const messages = async () => (await api('GET', `/api/v1/simulator/outbox?aifo=${JANA}`, undefined, server.adminToken)).body.messages as Array<{ code: string; channel: string }>;
      const code = await deliveredMessageFrom(messages, actId, String(issued.body.codeSha256));
      expect(code.channel).toBe(channel);
      const sha256 = createHash('sha256').update(`${actId}:${code.code}`).digest('hex');
      const sha512 = createHash('sha512').update(`${actId}:${code.code}`).digest('hex');
      expect(issued.body.codeSha256).toBe(sha256);
      secrets.push(sha256, sha512);

      const verified = await api('POST', `/api/v1/acts/${actId}/codes/${String(issued.body.codeId)}/verifications`, { codeSha512: sha512 });
      expect(verified.body).toEqual({ result: 'authorized', attemptsLeft: 5, status: 'authorized' });
      const result = await api('GET', `/api/v1/acts/${actId}`);
      expect(result.body).toMatchObject({ status: 'authorized', method: channel });
    });
  }

  it('leaves no code hash in any file of the data dir or in the logs, and nothing personal in clear in stored events', async () => {
    expect(secrets).toHaveLength(4);
    await server.stop();
    const files = filesUnder(server.dataDir);
    expect(files.some((f) => f.path.endsWith('ledger.sqlite'))).toBe(true);
    for (const { path, bytes } of files) {
      for (const s of secrets) expect(bytes.includes(Buffer.from(s)), `${s} in ${path}`).toBe(false);
    }
    const logs = server.logs();
    expect(logs.length).toBeGreaterThan(0);
    for (const s of [...secrets, token]) expect(logs.includes(s), 'a secret in the logs').toBe(false);
    // The delivery worker logs each attempt, never where the code went.
    expect(logs.includes('+420601000001'), 'the phone number in the logs').toBe(false);
    expect(logs).toContain('code delivered');

    // Decoded as the ledger reads them: a compressed body would hide a value from a search of the raw bytes.
    const rows = storedEvents(join(server.dataDir, 'ledger.sqlite'));
    expect(rows.filter((r) => r.type === 'ActRegistered')).toHaveLength(2);
    const stored = Buffer.from(rows.map((r) => `${r.type}${r.dataJson}${r.metadataJson}`).join('\n'));
    for (const value of personal) expect(stored.includes(Buffer.from(value)), `personal value in stored events: ${value.slice(0, 16)}`).toBe(false);
  });
});
