import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { compactDecrypt, decodeProtectedHeader, exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import { FcmNotifier, loadServiceAccount, type ServiceAccount } from '../../src/adapters/notify/fcm.ts';
import { SmsHttpNotifier } from '../../src/adapters/notify/sms-http.ts';
import { DeliveryError, type CodeMessage } from '../../src/ports/notifier.ts';
import { codeText } from '../../src/app/acts/code-text.ts';
import type { DevicePublicKey, MobileKeyDevice } from '../../src/ports/citizen-registry.ts';
import { buildNotifiers } from '../../src/composition/notifiers.ts';
import { loadConfig } from '../../src/config.ts';
import { newRsaKeyPair, serviceAccountJson, startGoogle, writeServiceAccount, type GoogleStandIn } from '../support/standins.ts';
import { freePort } from '../support/server.ts';

// FCM HTTP v1 and the service account's token grant, against a Google stand-in process that checks
// the grant's signature with the service account's public key and FCM's message shape.

const CODE = '739104';
// The text as a domestic person gets it: Czech, so the gateway must carry its diacritics unchanged.
const TEXT = codeText({ providerName: 'Banka Alfa', actName: 'Úvěrová smlouva 2026/17', code: CODE, ttlMs: 300_000, channel: 'mobile-key', language: 'cs' });
const FCM_TOKEN = 'fcm-registration-token-of-the-device-0123456789';
let sequence = 0;

function message(device: MobileKeyDevice, overrides: Partial<CodeMessage> = {}, now = Date.now()): CodeMessage {
  sequence += 1;
  return {
    messageId: `code-${sequence}-mobile-key`,
    channel: 'mobile-key',
    aifo: 'aifo-1',
    actId: `act-${sequence}`,
    codeId: `code-${sequence}`,
    to: device.deviceId,
    device,
    text: TEXT,
    code: CODE,
    expiresAt: new Date(now + 5 * 60_000).toISOString(),
    ...overrides,
  };
}

const plainDevice: MobileKeyDevice = { deviceId: 'device-plain', label: 'Old phone', fcmToken: FCM_TOKEN };

let google: GoogleStandIn;
let account: ServiceAccount;
let secrets: string[];

beforeAll(async () => {
  google = await startGoogle();
  account = await loadServiceAccount(google.serviceAccountFile);
  // The key's base64 body, line by line: no part of it may show in an error.
  const keyLines = google.serviceAccount.private_key.split('\n').filter((l) => l && !l.startsWith('-----'));
  secrets = [CODE, TEXT, FCM_TOKEN, ...keyLines];
});
afterAll(async () => {
  await google?.stop();
});
beforeEach(async () => {
  await google.reset();
  await google.setTokenLifetime(120);
});

function fcm(options: { clock?: () => Date; attemptTimeoutMs?: number; serviceAccount?: ServiceAccount; apiUrl?: string } = {}): FcmNotifier {
  return new FcmNotifier({ serviceAccount: options.serviceAccount ?? account, apiUrl: options.apiUrl ?? google.url, attemptTimeoutMs: options.attemptTimeoutMs ?? 5000, ...(options.clock ? { clock: options.clock } : {}) });
}

/** The attempt's DeliveryError, checked to carry no code, text, FCM token or private key in any form a log could show. */
async function failure(send: Promise<void>): Promise<DeliveryError> {
  const error = await send.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DeliveryError);
  const shown = [String(error), (error as Error).stack ?? '', JSON.stringify(error), String((error as Error).cause ?? '')].join('\n');
  for (const secret of secrets) expect(shown).not.toContain(secret);
  return error as DeliveryError;
}

describe('FcmNotifier: the message FCM receives', () => {
  it('posts a high-priority data message to the project, its ttl the seconds left of the code', async () => {
    const now = new Date();
    const sent = message(plainDevice, {}, now.getTime());
    await fcm({ clock: () => now }).send(sent);
    const { messages, failures } = await google.received();
    expect(failures).toEqual([]);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ projectId: google.serviceAccount.project_id, answered: 200 });
    expect(messages[0]!.message).toEqual({
      token: FCM_TOKEN,
      data: { actId: sent.actId, codeId: sent.codeId, text: TEXT, code: CODE, expiresAt: sent.expiresAt },
      android: { priority: 'high', ttl: '300s' },
    });
  });

  it('with a device public key, data is only a JWE (ECDH-ES+A256KW, A256GCM) the device decrypts to the code', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ECDH-ES+A256KW', { crv: 'P-256', extractable: true });
    const jwk = await exportJWK(publicKey);
    const device: MobileKeyDevice = { deviceId: 'device-e2e', label: 'New phone', fcmToken: FCM_TOKEN, publicKey: { kty: 'EC', crv: 'P-256', x: jwk.x!, y: jwk.y! } };
    const sent = message(device);
    await fcm().send(sent);
    const { messages, failures } = await google.received();
    expect(failures).toEqual([]);
    const data = messages[0]!.message!.data;
    expect(Object.keys(data)).toEqual(['jwe']);
    // What FCM and Google see: neither the code nor the text.
    expect(JSON.stringify(messages[0]!.message)).not.toContain(CODE);
    expect(JSON.stringify(messages[0]!.message)).not.toContain('Bank Alpha');
    expect(decodeProtectedHeader(data.jwe!)).toMatchObject({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM' });
    const { plaintext } = await compactDecrypt(data.jwe!, privateKey as CryptoKey, { keyManagementAlgorithms: ['ECDH-ES+A256KW'], contentEncryptionAlgorithms: ['A256GCM'] });
    expect(JSON.parse(new TextDecoder().decode(plaintext))).toEqual({ actId: sent.actId, codeId: sent.codeId, text: TEXT, code: CODE, expiresAt: sent.expiresAt });
  });

  it('a device key that is not a usable P-256 key is permanent, and nothing is sent', async () => {
    const broken: DevicePublicKey = { kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'AAAA' };
    const error = await failure(fcm().send(message({ ...plainDevice, publicKey: broken })));
    expect(error.kind).toBe('permanent');
    expect((await google.received()).messages).toEqual([]);
  });

  it('a code already expired when the attempt starts is permanent, and nothing is sent (no grant either)', async () => {
    const error = await failure(fcm().send(message(plainDevice, { expiresAt: new Date(Date.now() - 1).toISOString() })));
    expect(error.kind).toBe('permanent');
    const { grants, messages } = await google.received();
    expect([grants.length, messages.length]).toEqual([0, 0]);
  });

  it('a device without an FCM token is permanent', async () => {
    const error = await failure(fcm().send(message({ deviceId: 'simulated', label: 'Simulated' })));
    expect(error.kind).toBe('permanent');
  });
});

describe('FcmNotifier: the service account grant and its access token', () => {
  it('makes an RS256 JWT-bearer grant the stand-in verifies with the public key: iss, scope, aud, an hour to exp, kid', async () => {
    await fcm().send(message(plainDevice));
    const { grants, failures } = await google.received();
    expect(failures).toEqual([]);
    expect(grants).toHaveLength(1);
    const grant = grants[0]!;
    expect(grant.signatureValid).toBe(true);
    expect(grant.header).toEqual({ alg: 'RS256', typ: 'JWT', kid: google.serviceAccount.private_key_id });
    expect(grant.claims).toMatchObject({ iss: google.serviceAccount.client_email, scope: 'https://www.googleapis.com/auth/firebase.messaging', aud: google.tokenUrl });
    expect((grant.claims!.exp as number) - (grant.claims!.iat as number)).toBe(3600);
  });

  it('a grant signed with another key is refused by the stand-in: permanent (a broken service account)', async () => {
    const impostor = serviceAccountJson({
      projectId: google.serviceAccount.project_id,
      clientEmail: google.serviceAccount.client_email,
      privateKeyId: google.serviceAccount.private_key_id,
      privateKeyPem: newRsaKeyPair().privateKeyPem,
      tokenUri: google.tokenUrl,
    });
    const error = await failure(fcm({ serviceAccount: await loadServiceAccount(writeServiceAccount(impostor)) }).send(message(plainDevice)));
    expect(error.kind).toBe('permanent');
    expect(error.reason).toContain('400 invalid_grant');
    const { grants, messages } = await google.received();
    expect(grants.map((g) => g.signatureValid)).toEqual([false]);
    expect(messages).toEqual([]);
  });

  it('keeps the access token: two sends, one grant; concurrent sends share one grant', async () => {
    const notifier = fcm();
    await notifier.send(message(plainDevice));
    await notifier.send(message(plainDevice));
    expect((await google.received()).grants).toHaveLength(1);

    await google.reset();
    const fresh = fcm();
    await Promise.all([1, 2, 3, 4].map(() => fresh.send(message(plainDevice))));
    const { grants, messages } = await google.received();
    expect(grants).toHaveLength(1);
    expect(messages.map((m) => m.answered)).toEqual([200, 200, 200, 200]);
  });

  it('grants a new token once the old one is about to expire', async () => {
    let now = Date.now();
    const notifier = fcm({ clock: () => new Date(now) });
    await notifier.send(message(plainDevice, {}, now));
    now += 30_000;
    await notifier.send(message(plainDevice, {}, now));
    expect((await google.received()).grants).toHaveLength(1);
    // 120 s tokens are renewed 60 s early.
    now += 31_000;
    await notifier.send(message(plainDevice, {}, now));
    const { grants, failures } = await google.received();
    expect(failures).toEqual([]);
    expect(grants).toHaveLength(2);
  });

  it('a 401 from FCM drops the token and is retryable; the next attempt grants a new one', async () => {
    const notifier = fcm();
    await notifier.send(message(plainDevice));
    await google.revokeTokens();
    const error = await failure(notifier.send(message(plainDevice)));
    expect(error.kind).toBe('retryable');
    expect(error.reason).toContain('401');
    await notifier.send(message(plainDevice));
    const { grants, messages, failures } = await google.received();
    expect(failures).toEqual([]);
    expect(grants).toHaveLength(2);
    expect(messages.map((m) => m.answered)).toEqual([200, 401, 200]);
  });

  it('token endpoint failures: 503 and 429 retryable with Retry-After, 400 permanent, a hang or a refused connection retryable', async () => {
    await google.script('token', { status: 503, headers: { 'retry-after': '3' } }, { status: 429 }, { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' } });
    const unavailable = await failure(fcm().send(message(plainDevice)));
    expect(unavailable).toMatchObject({ kind: 'retryable', retryAfterMs: 3000 });
    expect((await failure(fcm().send(message(plainDevice)))).kind).toBe('retryable');
    const refused = await failure(fcm().send(message(plainDevice)));
    expect(refused.kind).toBe('permanent');
    expect(refused.reason).toContain('invalid_grant');

    await google.script('token', { hang: true });
    const slow = await failure(fcm({ attemptTimeoutMs: 300 }).send(message(plainDevice)));
    expect(slow.kind).toBe('retryable');
    expect(slow.reason).toContain('300 ms');

    const nowhere = await loadServiceAccount(writeServiceAccount({ ...google.serviceAccount, token_uri: `http://127.0.0.1:${await freePort()}/token` }));
    const unreachable = await failure(fcm({ serviceAccount: nowhere }).send(message(plainDevice)));
    expect(unreachable.kind).toBe('retryable');
    expect(unreachable.reason).toContain('ECONNREFUSED');
    expect((await google.received()).messages).toEqual([]);
  });

  it('a failed grant is not cached: the next attempt tries again', async () => {
    const notifier = fcm();
    await google.script('token', { status: 500 });
    expect((await failure(notifier.send(message(plainDevice)))).kind).toBe('retryable');
    await notifier.send(message(plainDevice));
    expect((await google.received()).grants.map((g) => g.answered)).toEqual([500, 200]);
  });
});

describe('FcmNotifier: FCM errors classified', () => {
  const cases: Array<{ answer: Parameters<GoogleStandIn['script']>[1]; kind: DeliveryError['kind']; retryAfterMs?: number; reason: string }> = [
    { answer: { status: 404, errorCode: 'UNREGISTERED' }, kind: 'unregistered', reason: '404 UNREGISTERED' },
    { answer: { status: 503, errorCode: 'UNAVAILABLE', headers: { 'retry-after': '5' } }, kind: 'retryable', retryAfterMs: 5000, reason: '503 UNAVAILABLE' },
    { answer: { status: 429, errorCode: 'QUOTA_EXCEEDED', headers: { 'retry-after': '60' } }, kind: 'retryable', retryAfterMs: 60_000, reason: '429 QUOTA_EXCEEDED' },
    { answer: { status: 500, errorCode: 'INTERNAL' }, kind: 'retryable', reason: '500 INTERNAL' },
    { answer: { status: 408 }, kind: 'retryable', reason: '408' },
    { answer: { status: 502, body: '<html>Bad Gateway</html>' }, kind: 'retryable', reason: '502' },
    { answer: { status: 400, errorCode: 'INVALID_ARGUMENT' }, kind: 'permanent', reason: '400 INVALID_ARGUMENT' },
    { answer: { status: 403, errorCode: 'SENDER_ID_MISMATCH' }, kind: 'permanent', reason: '403 SENDER_ID_MISMATCH' },
    // A 404 without UNREGISTERED (a wrong project, a wrong URL) is not a reason to forget the device.
    { answer: { status: 404 }, kind: 'permanent', reason: '404 NOT_FOUND' },
  ];
  for (const { answer, kind, retryAfterMs, reason } of cases) {
    it(`${answer.status} ${answer.errorCode ?? ''}: ${kind}${retryAfterMs ? ` after ${retryAfterMs} ms` : ''}`, async () => {
      await google.script('send', answer);
      const error = await failure(fcm().send(message(plainDevice)));
      expect(error.kind).toBe(kind);
      expect(error.retryAfterMs).toBe(retryAfterMs);
      expect(error.reason).toContain(reason);
    });
  }

  it('a 401 THIRD_PARTY_AUTH_ERROR (the project\'s APNs or web push credentials) is permanent and keeps the token', async () => {
    const notifier = fcm();
    await google.script('send', { status: 401, errorCode: 'THIRD_PARTY_AUTH_ERROR' });
    expect((await failure(notifier.send(message(plainDevice)))).kind).toBe('permanent');
    await notifier.send(message(plainDevice));
    expect((await google.received()).grants).toHaveLength(1);
  });

  it('FCM not answering within attemptTimeoutMs, or refusing the connection: retryable', async () => {
    await google.script('send', { hang: true });
    const slow = await failure(fcm({ attemptTimeoutMs: 300 }).send(message(plainDevice)));
    expect(slow.kind).toBe('retryable');
    expect(slow.reason).toContain('did not answer within 300 ms');
    const nowhere = await failure(fcm({ apiUrl: `http://127.0.0.1:${await freePort()}` }).send(message(plainDevice)));
    expect(nowhere.kind).toBe('retryable');
    expect(nowhere.reason).toContain('ECONNREFUSED');
  });
});

describe('loadServiceAccount: FCM_SERVICE_ACCOUNT_FILE', () => {
  const keyPem = newRsaKeyPair().privateKeyPem;
  const keyBody = keyPem.split('\n')[1]!;
  const valid = serviceAccountJson({ projectId: 'ledger-prod', clientEmail: 'x@ledger-prod.iam.gserviceaccount.com', privateKeyId: 'k1', privateKeyPem: keyPem, tokenUri: 'https://oauth2.googleapis.com/token' });

  it('reads a standard service-account file', async () => {
    const loaded = await loadServiceAccount(writeServiceAccount(valid));
    expect(loaded).toMatchObject({ projectId: 'ledger-prod', clientEmail: valid.client_email, privateKeyId: 'k1', tokenUri: valid.token_uri });
  });

  const refusals: Array<[string, string | Record<string, unknown>, string]> = [
    ['not JSON (the message does not quote it)', `{"private_key": "${keyBody}", oops`, 'is not JSON'],
    ['not a service account', { ...valid, type: 'authorized_user' }, '"type" must be "service_account"'],
    ['without a private key', { ...valid, private_key: undefined }, 'has no "private_key"'],
    ['with a key that is not PEM PKCS#8', { ...valid, private_key: `-----BEGIN PRIVATE KEY-----\n${keyBody}\n-----END PRIVATE KEY-----\n` }, 'not a PEM PKCS#8 RSA private key'],
    ['with a token_uri over plain http to another host', { ...valid, token_uri: 'http://oauth2.example/token' }, 'must be an https URL'],
    ['without a project id', { ...valid, project_id: '' }, 'has no "project_id"'],
  ];
  for (const [what, content, says] of refusals) {
    it(`refuses a file ${what}, naming FCM_SERVICE_ACCOUNT_FILE and never the key`, async () => {
      const error = await loadServiceAccount(writeServiceAccount(content)).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(error?.message).toContain('FCM_SERVICE_ACCOUNT_FILE');
      expect(error?.message).toContain(says);
      expect(`${error?.message}\n${error?.stack}`).not.toContain(keyBody);
    });
  }

  it('refuses a file that is not there', async () => {
    await expect(loadServiceAccount('/nonexistent/service-account.json')).rejects.toThrow(/FCM_SERVICE_ACCOUNT_FILE \/nonexistent\/service-account.json cannot be read \(ENOENT\)/);
  });
});

describe('LEDGER_MOBILE_KEY=fcm in the composition root', () => {
  it('builds the FCM notifier from the service account file and FCM_API_URL', async () => {
    const notifiers = await buildNotifiers(loadConfig({ LEDGER_DATA_DIR: '/tmp/unused', ...google.env }), () => new Date());
    expect(notifiers.byChannel['mobile-key']).toBeInstanceOf(FcmNotifier);
    expect(notifiers.byChannel.sms).not.toBeInstanceOf(SmsHttpNotifier);
    await notifiers.byChannel['mobile-key'].send(message(plainDevice));
    expect((await google.received()).messages.map((m) => m.answered)).toEqual([200]);
  });

  it('a bad service account file fails the build, naming FCM_SERVICE_ACCOUNT_FILE', async () => {
    const config = loadConfig({ LEDGER_DATA_DIR: '/tmp/unused', ...google.env, FCM_SERVICE_ACCOUNT_FILE: writeServiceAccount('not json') });
    await expect(buildNotifiers(config, () => new Date())).rejects.toThrow(/FCM_SERVICE_ACCOUNT_FILE .* is not JSON/);
  });
});
