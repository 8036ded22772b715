import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SmsHttpNotifier } from '../../src/adapters/notify/sms-http.ts';
import { DeliveryError, type CodeMessage } from '../../src/ports/notifier.ts';
import { codeText } from '../../src/app/acts/code-text.ts';
import { buildNotifiers } from '../../src/composition/notifiers.ts';
import { loadConfig } from '../../src/config.ts';
import { startSmsGateway, type SmsGatewayStandIn } from '../support/standins.ts';
import { freePort } from '../support/server.ts';

// One attempt per send against a real gateway process: what it receives, and how each answer is classified.

const PHONE = '+420601987654';
const CODE = '482913';
// The text as a domestic person gets it: Czech, so the gateway must carry its diacritics unchanged.
const TEXT = codeText({ providerName: 'Banka Alfa', actName: 'Úvěrová smlouva 2026/17', code: CODE, ttlMs: 300_000, channel: 'sms', language: 'cs' });
let sequence = 0;

function message(overrides: Partial<CodeMessage> = {}): CodeMessage {
  sequence += 1;
  return {
    messageId: `code-${sequence}-sms`,
    channel: 'sms',
    aifo: 'aifo-1',
    actId: `act-${sequence}`,
    codeId: `code-${sequence}`,
    to: PHONE,
    text: TEXT,
    code: CODE,
    expiresAt: new Date(Date.now() + 5 * 60_000).toISOString(),
    ...overrides,
  };
}

let gateway: SmsGatewayStandIn;
let notifier: SmsHttpNotifier;

beforeAll(async () => {
  gateway = await startSmsGateway();
  notifier = new SmsHttpNotifier({ url: gateway.url, token: gateway.token, attemptTimeoutMs: 5000 });
});
afterAll(async () => {
  await gateway?.stop();
});
beforeEach(async () => {
  await gateway.reset();
});

/** The attempt's DeliveryError, checked to carry none of the message's secrets in any form a log could show. */
async function failure(send: Promise<void>): Promise<DeliveryError> {
  const error = await send.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DeliveryError);
  const shown = [String(error), (error as Error).message, (error as Error).stack ?? '', JSON.stringify(error), String((error as Error).cause ?? '')].join('\n');
  for (const secret of [gateway.token, PHONE, CODE, TEXT]) expect(shown).not.toContain(secret);
  return error as DeliveryError;
}

describe('SmsHttpNotifier: the SMS gateway contract', () => {
  it('POSTs { to, text, reference } with the bearer token and the message id as Idempotency-Key, and a 2xx is accepted', async () => {
    const sent = message();
    await notifier.send(sent);
    const { requests, failures } = await gateway.received();
    expect(failures).toEqual([]);
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ method: 'POST', path: '/v1/messages', idempotencyKey: sent.messageId, answered: 202 });
    expect(requests[0]!.body).toEqual({ to: PHONE, text: TEXT, reference: sent.messageId });
  });

  it('takes any 2xx as accepted', async () => {
    await gateway.script('sms', { status: 200, body: { id: 'x' } }, { status: 204 });
    await notifier.send(message());
    await notifier.send(message());
    expect((await gateway.received()).requests.map((r) => r.answered)).toEqual([200, 204]);
  });

  it('sends the same reference on a retry, so the gateway answers it without a second SMS', async () => {
    const sent = message();
    await notifier.send(sent);
    await notifier.send(sent);
    const { requests } = await gateway.received();
    expect(requests.map((r) => [r.idempotencyKey, r.answered, r.repeat ?? false])).toEqual([
      [sent.messageId, 202, false],
      [sent.messageId, 200, true],
    ]);
  });

  it('a wrong token is refused by the gateway and is permanent (the stand-in checks the token)', async () => {
    const wrong = new SmsHttpNotifier({ url: gateway.url, token: 'not-the-token', attemptTimeoutMs: 5000 });
    const error = await failure(wrong.send(message()));
    expect(error.kind).toBe('permanent');
    expect(error.reason).toContain('401');
    expect((await gateway.received()).failures).toEqual(['wrong bearer token']);
  });
});

describe('SmsHttpNotifier: each answer classified', () => {
  it('503 with Retry-After in seconds: retryable, retryAfterMs from the header', async () => {
    await gateway.script('sms', { status: 503, headers: { 'retry-after': '7' }, body: { error: 'busy' } });
    const error = await failure(notifier.send(message()));
    expect(error).toMatchObject({ kind: 'retryable', retryAfterMs: 7000 });
    expect(error.reason).toContain('503');
  });

  it('429 with Retry-After as an HTTP-date: retryable, retryAfterMs until that date', async () => {
    const now = new Date(Math.floor(Date.now() / 1000) * 1000);
    const clocked = new SmsHttpNotifier({ url: gateway.url, token: gateway.token, attemptTimeoutMs: 5000, clock: () => now });
    await gateway.script('sms', { status: 429, headers: { 'retry-after': new Date(now.getTime() + 30_000).toUTCString() } });
    const error = await failure(clocked.send(message()));
    expect(error).toMatchObject({ kind: 'retryable', retryAfterMs: 30_000 });
    expect(error.reason).toContain('429');
  });

  it('408 and 500: retryable, no retryAfterMs without the header', async () => {
    await gateway.script('sms', { status: 408 }, { status: 500, body: 'Internal Server Error' });
    for (const status of [408, 500]) {
      const error = await failure(notifier.send(message()));
      expect(error.kind).toBe('retryable');
      expect(error.retryAfterMs).toBeUndefined();
      expect(error.reason).toContain(String(status));
    }
  });

  it('400, 404, 422 and a 3xx: permanent, and a redirect is not followed', async () => {
    await gateway.script(
      'sms',
      { status: 400, body: { error: 'bad number' } },
      { status: 404 },
      { status: 422 },
      { status: 307, headers: { location: `${gateway.baseUrl}/v1/messages` } },
    );
    for (const status of [400, 404, 422, 307]) {
      const error = await failure(notifier.send(message()));
      expect(error.kind).toBe('permanent');
      expect(error.retryAfterMs).toBeUndefined();
      expect(error.reason).toContain(String(status));
    }
    expect((await gateway.received()).requests).toHaveLength(4);
  });

  it('a gateway that does not answer within attemptTimeoutMs: retryable', async () => {
    const impatient = new SmsHttpNotifier({ url: gateway.url, token: gateway.token, attemptTimeoutMs: 300 });
    await gateway.script('sms', { hang: true });
    const error = await failure(impatient.send(message()));
    expect(error.kind).toBe('retryable');
    expect(error.reason).toContain('did not answer within 300 ms');
  });

  it('connection refused: retryable', async () => {
    const nowhere = new SmsHttpNotifier({ url: `http://127.0.0.1:${await freePort()}/v1/messages`, token: gateway.token, attemptTimeoutMs: 5000 });
    const error = await failure(nowhere.send(message()));
    expect(error.kind).toBe('retryable');
    expect(error.reason).toContain('ECONNREFUSED');
  });

  it('a code already expired, or a number not in E.164: permanent, and nothing is sent', async () => {
    const expired = await failure(notifier.send(message({ expiresAt: new Date(Date.now() - 1000).toISOString() })));
    expect(expired.kind).toBe('permanent');
    const badNumber = await failure(notifier.send(message({ to: '601987654' })));
    expect(badNumber.kind).toBe('permanent');
    expect((await gateway.received()).requests).toEqual([]);
  });

  it('reads error bodies to the end, so later attempts reuse the connection', async () => {
    // Cancelling a body closes its socket (and an unread one holds it until collected): each attempt would open a connection.
    await gateway.script('sms', { status: 500, body: 'x'.repeat(20_000) }, { status: 400, body: { error: 'no' } }, { status: 503, body: 'busy' });
    for (let i = 0; i < 3; i++) await failure(notifier.send(message()));
    await notifier.send(message());
    const ports = (await gateway.received()).requests.map((r) => r.remotePort);
    expect(ports).toHaveLength(4);
    expect(new Set(ports).size).toBeLessThan(4);
  });
});

describe('LEDGER_SMS=http in the composition root', () => {
  it('builds the gateway notifier from SMS_HTTP_URL and SMS_HTTP_TOKEN', async () => {
    const config = loadConfig({ LEDGER_DATA_DIR: '/tmp/unused', ...gateway.env });
    const notifiers = await buildNotifiers(config, () => new Date());
    expect(notifiers.byChannel.sms).toBeInstanceOf(SmsHttpNotifier);
    await notifiers.byChannel.sms.send(message());
    expect((await gateway.received()).requests.map((r) => r.answered)).toEqual([202]);
  });
});
