import { CompactEncrypt, importJWK, type CryptoKey } from 'jose';
import { DeliveryError, type CodeMessage, type Notifier } from '../../ports/notifier.ts';
import type { DevicePublicKey } from '../../ports/citizen-registry.ts';
import type { ServiceAccount } from './service-account.ts';
import { ServiceAccountTokens } from './google-access-token.ts';
import { isRetryableStatus, jsonOf, msUntil, readBody, retryAfterMs, unreachable } from './http-attempt.ts';

export { loadServiceAccount, type ServiceAccount } from './service-account.ts';

export interface FcmOptions {
  /** The service account of FCM_SERVICE_ACCOUNT_FILE (loadServiceAccount). */
  serviceAccount: ServiceAccount;
  /** FCM_API_URL without a trailing slash, e.g. https://fcm.googleapis.com. */
  apiUrl: string;
  /** How long one attempt may take, a token grant included. */
  attemptTimeoutMs: number;
  clock?: () => Date;
}

/** The code's fields as the Mobile Key app reads them: in clear in `data`, or as the plaintext of `data.jwe`. */
export interface MobileKeyPayload {
  actId: string;
  codeId: string;
  text: string;
  code: string;
  expiresAt: string;
}

/** Device keys are pinned to one key agreement and one content cipher; nothing else is ever produced. */
export const JWE_ALG = 'ECDH-ES+A256KW';
export const JWE_ENC = 'A256GCM';
const FCM_ERROR_TYPE = 'type.googleapis.com/google.firebase.fcm.v1.FcmError';
/** FCM's error codes that mean "busy or broken, try later" whatever the status says. */
const RETRYABLE_CODES = new Set(['QUOTA_EXCEEDED', 'UNAVAILABLE', 'INTERNAL']);
const PEER = 'FCM';

/**
 * Mobile Key pushes through FCM HTTP v1: a data message per attempt, high priority, kept by FCM no
 * longer than the code lives. When the device registered a public key the data is one JWE for it,
 * so FCM (and Google) carry the code without being able to read it.
 */
export class FcmNotifier implements Notifier {
  private readonly clock: () => Date;
  private readonly tokens: ServiceAccountTokens;
  private readonly sendUrl: string;

  constructor(private readonly options: FcmOptions) {
    this.clock = options.clock ?? (() => new Date());
    this.tokens = new ServiceAccountTokens(options.serviceAccount, options.attemptTimeoutMs, this.clock);
    this.sendUrl = `${options.apiUrl.replace(/\/+$/, '')}/v1/projects/${encodeURIComponent(options.serviceAccount.projectId)}/messages:send`;
  }

  async send(message: CodeMessage): Promise<void> {
    const device = message.device;
    if (!device?.fcmToken) throw new DeliveryError('permanent', 'the Mobile Key device has no FCM token');
    const leftMs = msUntil(message.expiresAt, this.clock());
    if (!(leftMs > 0)) throw new DeliveryError('permanent', 'the code expired before it could be sent');
    const payload: MobileKeyPayload = { actId: message.actId, codeId: message.codeId, text: message.text, code: message.code, expiresAt: message.expiresAt };
    const data: Record<string, string> = device.publicKey ? { jwe: await sealForDevice(device.publicKey, payload) } : { ...payload };
    const body = JSON.stringify({
      // FCM rounds ttl down to whole seconds; a ttl of 0 s means "now or never", which is right for a code about to lapse.
      message: { token: device.fcmToken, data, android: { priority: 'high', ttl: `${Math.floor(leftMs / 1000)}s` } },
    });

    const timeoutMs = this.options.attemptTimeoutMs;
    const deadline = AbortSignal.timeout(timeoutMs);
    let accessToken: string;
    let res: Response;
    let text: string;
    try {
      accessToken = await beforeDeadline(this.tokens.get(), deadline);
      res = await fetch(this.sendUrl, {
        method: 'POST',
        headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json; charset=utf-8', accept: 'application/json' },
        body,
        redirect: 'manual',
        signal: deadline,
      });
      text = await readBody(res);
    } catch (error) {
      throw unreachable(PEER, error, timeoutMs);
    }
    if (res.ok) return;
    throw this.failure(res, text, accessToken);
  }

  /** FCM's answer as a DeliveryError, from its v1 error body `{ error: { code, status, details: [FcmError] } }`. */
  private failure(res: Response, text: string, accessToken: string): DeliveryError {
    const { status, errorCode } = fcmError(text);
    const label = `${res.status}${errorCode ? ` ${errorCode}` : status ? ` ${status}` : ''}`;
    if (errorCode === 'UNREGISTERED') return new DeliveryError('unregistered', `${PEER} no longer knows the device's token (${label})`);
    // THIRD_PARTY_AUTH_ERROR is a 401 about the project's APNs or web push credentials, not our access token.
    if (res.status === 401 && errorCode !== 'THIRD_PARTY_AUTH_ERROR') {
      this.tokens.drop(accessToken);
      return new DeliveryError('retryable', `${PEER} refused the access token (${label}); a new one is granted on the next attempt`);
    }
    if (isRetryableStatus(res.status) || (errorCode && RETRYABLE_CODES.has(errorCode))) {
      return new DeliveryError('retryable', `${PEER} answered ${label}`, retryAfterMs(res.headers.get('retry-after'), this.clock()));
    }
    return new DeliveryError('permanent', `${PEER} refused the message (${label})`);
  }
}

/**
 * The payload as a compact JWE to the device's P-256 key. Only the public coordinates are taken from
 * the registry's JWK, so a stray private part or a foreign `alg` in it cannot change what is produced.
 */
export async function sealForDevice(publicKey: DevicePublicKey, payload: MobileKeyPayload): Promise<string> {
  let key: CryptoKey | Uint8Array;
  try {
    if (publicKey.kty !== 'EC' || publicKey.crv !== 'P-256') throw new Error('not P-256');
    key = await importJWK({ kty: 'EC', crv: 'P-256', x: publicKey.x, y: publicKey.y }, JWE_ALG);
  } catch {
    throw new DeliveryError('permanent', "the device's public key is not a usable P-256 key");
  }
  return new CompactEncrypt(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader({ alg: JWE_ALG, enc: JWE_ENC }).encrypt(key);
}

/** The canonical status and the FcmError code of an error body; only upper-case identifiers are kept (never its free text). */
function fcmError(text: string): { status?: string; errorCode?: string } {
  const error = (jsonOf(text) as { error?: { status?: unknown; details?: unknown } } | undefined)?.error;
  const word = (value: unknown): string | undefined => (typeof value === 'string' && /^[A-Z][A-Z_]{1,40}$/.test(value) ? value : undefined);
  const details = Array.isArray(error?.details) ? (error.details as Array<Record<string, unknown> | null>) : [];
  const fcm = details.find((d) => d !== null && typeof d === 'object' && d['@type'] === FCM_ERROR_TYPE);
  const status = word(error?.status);
  const errorCode = word(fcm?.errorCode);
  return { ...(status ? { status } : {}), ...(errorCode ? { errorCode } : {}) };
}

/** Waits for a shared promise (the token grant) no longer than this attempt's deadline. */
function beforeDeadline<T>(promise: Promise<T>, deadline: AbortSignal): Promise<T> {
  if (deadline.aborted) return Promise.reject(deadline.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(deadline.reason as Error);
    deadline.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        deadline.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        deadline.removeEventListener('abort', onAbort);
        reject(error as Error);
      },
    );
  });
}
