import { SignJWT } from 'jose';
import { DeliveryError } from '../../ports/notifier.ts';
import type { ServiceAccount } from './service-account.ts';
import { isRetryableStatus, jsonOf, readBody, retryAfterMs, unreachable } from './http-attempt.ts';

/** The only scope the ledger asks for: sending FCM messages, nothing else of the project. */
export const FCM_SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** Google accepts grants valid for at most an hour. */
const GRANT_LIFETIME_S = 3600;
/** A token is renewed this long before it ends, so no request goes out with one about to lapse. */
const RENEW_EARLY_S = 60;
const PEER = 'the Google token endpoint';

/**
 * Access tokens for a service account, by the OAuth 2.0 JWT-bearer grant (RFC 7523, signed RS256 with
 * jose). One token is kept until shortly before it expires; callers arriving while it is renewed share
 * the one grant in flight.
 */
export class ServiceAccountTokens {
  private cached?: { token: string; renewAtMs: number };
  private inFlight?: Promise<string>;

  constructor(
    private readonly account: ServiceAccount,
    private readonly timeoutMs: number,
    private readonly clock: () => Date,
  ) {}

  /** A valid access token; rejects with a DeliveryError when the grant fails. */
  get(): Promise<string> {
    if (this.cached && this.clock().getTime() < this.cached.renewAtMs) return Promise.resolve(this.cached.token);
    this.inFlight ??= this.grant().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /** Forgets a token the API refused (401), unless a newer one has replaced it already. */
  drop(token: string): void {
    if (this.cached?.token === token) this.cached = undefined;
  }

  private async grant(): Promise<string> {
    const issuedAtMs = this.clock().getTime();
    const iat = Math.floor(issuedAtMs / 1000);
    const { account } = this;
    const assertion = await new SignJWT({ scope: FCM_SCOPE })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', ...(account.privateKeyId ? { kid: account.privateKeyId } : {}) })
      .setIssuer(account.clientEmail)
      .setAudience(account.tokenUri)
      .setIssuedAt(iat)
      .setExpirationTime(iat + GRANT_LIFETIME_S)
      .sign(account.privateKey);
    let res: Response;
    let text: string;
    try {
      res = await fetch(account.tokenUri, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({ grant_type: JWT_BEARER, assertion }).toString(),
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await readBody(res);
    } catch (error) {
      throw unreachable(PEER, error, this.timeoutMs);
    }
    const body = jsonOf(text) as { access_token?: unknown; expires_in?: unknown; token_type?: unknown; error?: unknown } | undefined;
    if (!res.ok) {
      if (isRetryableStatus(res.status)) throw new DeliveryError('retryable', `${PEER} answered ${res.status}`, retryAfterMs(res.headers.get('retry-after'), this.clock()));
      // invalid_grant, unauthorized_client...: the service account is broken or disabled, and stays so.
      const code = typeof body?.error === 'string' && /^[a-z_]{1,40}$/.test(body.error) ? ` ${body.error}` : '';
      throw new DeliveryError('permanent', `${PEER} refused the service account's grant (${res.status}${code})`);
    }
    const token = body?.access_token;
    const typeOk = body?.token_type === undefined || (typeof body.token_type === 'string' && body.token_type.toLowerCase() === 'bearer');
    if (typeof token !== 'string' || !token || !typeOk) throw new DeliveryError('permanent', `${PEER} answered ${res.status} without a bearer access token`);
    // RFC 6749 only recommends expires_in: without it, a short life is the safe guess.
    const lifetimeS = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 300;
    // A short-lived token is renewed half-way instead, so it is still used at all.
    const earlyS = Math.min(RENEW_EARLY_S, lifetimeS / 2);
    this.cached = { token, renewAtMs: issuedAtMs + (lifetimeS - earlyS) * 1000 };
    return token;
  }
}
