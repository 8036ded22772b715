import * as oidc from 'openid-client';
import type { Loa } from '../../../events/act.ts';
import {
  IdentityProviderUnavailable,
  OIDC_SECTOR,
  type AuthenticationRequest,
  type AuthenticationResult,
  type AuthenticationStart,
  type AuthenticationTransaction,
  type CallbackParameters,
  type IdentityProvider,
} from '../../ports/identity-provider.ts';

/** The CitizenRegistry sector the OpenID Provider's `sub` values are resolved in. */
export { OIDC_SECTOR };

const LOA_ORDER: readonly Loa[] = ['low', 'substantial', 'high'];

export interface OidcIdentityProviderOptions {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The OP's `acr` value for each LoA. */
  acrValues: Record<Loa, string>;
  /** How far the OP's clock may be ahead of ours when judging a ForceAuth `auth_time`. */
  clockSkewMs?: number;
  /** Seconds an OP request may take. */
  timeoutS?: number;
  /** After a failed discovery, the first wait before the next attempt, doubling up to `maxMs` (default 1 s to 30 s). */
  discoveryRetry?: { initialMs: number; maxMs: number };
  /** Epoch ms now (tests move it to pass a back-off without waiting). */
  now?: () => number;
}

/** How discovery stands, for /readyz: `ok` once the OP's metadata is known. */
export type DiscoveryStatus =
  | { ok: true; kind: 'oidc'; issuer: string }
  | { ok: false; kind: 'oidc'; issuer: string; reason: string; failures: number; nextAttemptAt?: string };

/** How long a readiness probe waits for a discovery attempt it started before answering with what it knows. */
const READINESS_WAIT_MS = 2000;

/**
 * Any OpenID Provider: authorization code with PKCE, scope `openid` only (no attributes). ForceAuth
 * is `prompt=login` with `max_age=0`, and the ID token's `auth_time` must not predate the transaction,
 * since an OP may answer from its session anyway.
 */
export class OidcIdentityProvider implements IdentityProvider {
  readonly kind = 'oidc';
  private configuration: oidc.Configuration | undefined;
  private attempt: Promise<oidc.Configuration> | undefined;
  private failure: { reason: string; failures: number; retryAt: number } | undefined;
  private readonly now: () => number;

  constructor(private readonly options: OidcIdentityProviderOptions) {
    this.now = options.now ?? Date.now;
  }

  async begin(request: AuthenticationRequest): Promise<AuthenticationStart> {
    const config = await this.discover();
    const verifier = oidc.randomPKCECodeVerifier();
    const parameters: Record<string, string> = {
      response_type: 'code',
      scope: 'openid',
      redirect_uri: request.callbackUrl,
      state: request.state,
      nonce: request.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    };
    if (request.forceAuth) {
      parameters.prompt = 'login';
      parameters.max_age = '0';
    }
    const acr = this.acrValuesFor(request.loa);
    if (acr) parameters.acr_values = acr;
    return { redirectUrl: oidc.buildAuthorizationUrl(config, parameters).href, verifier };
  }

  async complete(callback: CallbackParameters, transaction: AuthenticationTransaction): Promise<AuthenticationResult> {
    if (callback.error) {
      return { outcome: callback.error === 'access_denied' ? 'cancelled' : 'failed', reason: `the OpenID Provider answered ${callback.error.slice(0, 100)}` };
    }
    if (!transaction.verifier) return { outcome: 'failed', reason: 'the transaction has no PKCE verifier' };
    const config = await this.discover();
    const currentUrl = new URL(transaction.callbackUrl);
    for (const [name, value] of Object.entries(callback)) currentUrl.searchParams.set(name, value);

    let claims: oidc.IDToken | undefined;
    try {
      const tokens = await oidc.authorizationCodeGrant(config, currentUrl, {
        pkceCodeVerifier: transaction.verifier,
        expectedState: transaction.state,
        expectedNonce: transaction.nonce,
        ...(transaction.forceAuth ? { maxAge: 0 } : {}),
      });
      claims = tokens.claims();
    } catch (error) {
      if (unreachable(error)) throw new IdentityProviderUnavailable(`the OpenID Provider could not be reached: ${(error as Error).message}`);
      return { outcome: 'failed', reason: `the code exchange or ID token was refused: ${(error as Error).message}` };
    }
    if (!claims) return { outcome: 'failed', reason: 'no ID token' };

    const authTime = typeof claims.auth_time === 'number' ? claims.auth_time * 1000 : undefined;
    if (transaction.forceAuth && (authTime === undefined || authTime < transaction.startedAt - (this.options.clockSkewMs ?? 10_000))) {
      return { outcome: 'failed', reason: 'the OpenID Provider reused an earlier authentication (auth_time before this transaction)' };
    }
    const acr = typeof claims.acr === 'string' ? claims.acr : undefined;
    const amr = Array.isArray(claims.amr) ? claims.amr.filter((m): m is string => typeof m === 'string') : [];
    return {
      outcome: 'authenticated',
      identity: { sector: OIDC_SECTOR, subject: claims.sub },
      loaAchieved: acr ? this.loaOf(acr) : null,
      means: amr.length > 0 ? amr.join(' ') : (acr ?? null),
      authTime: authTime === undefined ? null : new Date(authTime).toISOString(),
    };
  }

  /**
   * Discovery happens on first use, not at start (the ledger starts while the OP is down), and its
   * result is kept. After a failure, calls within the back-off fail at once with the last reason, so
   * a dead OP meets one request per back-off, not one per citizen; concurrent calls share one attempt.
   */
  private discover(): Promise<oidc.Configuration> {
    if (this.configuration) return Promise.resolve(this.configuration);
    if (this.attempt) return this.attempt;
    if (this.failure && this.now() < this.failure.retryAt) {
      const seconds = Math.ceil((this.failure.retryAt - this.now()) / 1000);
      return Promise.reject(new IdentityProviderUnavailable(`OpenID Provider discovery failed (${this.failure.reason}); next attempt in ${seconds} s`));
    }
    const issuer = new URL(this.options.issuer);
    const attempt = oidc
      .discovery(issuer, this.options.clientId, undefined, oidc.ClientSecretBasic(this.options.clientSecret), {
        timeout: this.options.timeoutS ?? 10,
        // Plain HTTP only to an OP on this machine (tests, local development).
        ...(issuer.protocol === 'http:' && isLoopback(issuer.hostname) ? { execute: [oidc.allowInsecureRequests] } : {}),
      })
      .then(
        (configuration) => {
          this.configuration = configuration;
          this.failure = undefined;
          return configuration;
        },
        (error: unknown) => {
          const failures = (this.failure?.failures ?? 0) + 1;
          const reason = reasonOf(error);
          this.failure = { reason, failures, retryAt: this.now() + this.backoffMs(failures) };
          throw new IdentityProviderUnavailable(`OpenID Provider discovery failed: ${reason}`);
        },
      );
    this.attempt = attempt;
    const settled = () => {
      if (this.attempt === attempt) this.attempt = undefined;
    };
    attempt.then(settled, settled);
    return attempt;
  }

  /** Exponential, with jitter (so a fleet restarted together does not retry in step), capped. */
  private backoffMs(failures: number): number {
    const { initialMs, maxMs } = this.options.discoveryRetry ?? { initialMs: 1000, maxMs: 30_000 };
    const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(failures - 1, 30));
    return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
  }

  /**
   * Readiness: ok once discovery succeeded. A probe also starts an attempt when the back-off allows,
   * since an instance held out of rotation would otherwise never meet the sign-in that discovers.
   */
  async discoveryStatus(): Promise<DiscoveryStatus> {
    const issuer = this.options.issuer;
    if (!this.configuration) {
      const tried = this.discover().then(
        () => undefined,
        () => undefined,
      );
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([tried, new Promise<void>((resolve) => (timer = setTimeout(resolve, READINESS_WAIT_MS)))]);
      clearTimeout(timer);
    }
    if (this.configuration) return { ok: true, kind: 'oidc', issuer };
    const failure = this.failure;
    if (!failure || this.attempt) return { ok: false, kind: 'oidc', issuer, reason: 'discovery in progress', failures: failure?.failures ?? 0 };
    return { ok: false, kind: 'oidc', issuer, reason: failure.reason, failures: failure.failures, nextAttemptAt: new Date(failure.retryAt).toISOString() };
  }

  /** The required level first, then the stronger ones: the OP may pick any of them. */
  private acrValuesFor(loa: Loa | null): string | undefined {
    if (!loa) return undefined;
    return LOA_ORDER.slice(LOA_ORDER.indexOf(loa)).map((l) => this.options.acrValues[l]).join(' ');
  }

  private loaOf(acr: string): Loa | null {
    return LOA_ORDER.find((l) => this.options.acrValues[l] === acr) ?? null;
  }
}

function unreachable(error: unknown): boolean {
  return error instanceof TypeError || (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError'));
}

/** The reason a discovery failed, with the network error's code or the HTTP status openid-client keeps in `cause`. */
function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: { code?: unknown; status?: unknown } }).cause;
  if (cause && typeof cause.status === 'number') return `${error.message} (HTTP ${cause.status})`;
  const code = cause && typeof cause.code === 'string' ? cause.code : undefined;
  return code && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '127.0.0.1' || hostname === '[::1]';
}
