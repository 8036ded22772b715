import * as oidc from 'openid-client';
import type { Loa } from '../../../events/act.ts';
import {
  IdentityProviderUnavailable,
  type AuthenticationRequest,
  type AuthenticationResult,
  type AuthenticationStart,
  type AuthenticationTransaction,
  type CallbackParameters,
  type IdentityProvider,
} from '../../ports/identity-provider.ts';

/** The CitizenRegistry sector the OpenID Provider's `sub` values are resolved in. */
export const OIDC_SECTOR = 'oidc';

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
}

/**
 * Any OpenID Provider: authorization code with PKCE, scope `openid` only (no attributes). ForceAuth
 * is `prompt=login` with `max_age=0`, and the ID token's `auth_time` must not predate the transaction,
 * since an OP may answer from its session anyway.
 */
export class OidcIdentityProvider implements IdentityProvider {
  readonly kind = 'oidc';
  private configuration: Promise<oidc.Configuration> | undefined;

  constructor(private readonly options: OidcIdentityProviderOptions) {}

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

  /** Discovery happens on first use and is kept; a failure is retried on the next call. */
  private discover(): Promise<oidc.Configuration> {
    if (!this.configuration) {
      const issuer = new URL(this.options.issuer);
      this.configuration = oidc
        .discovery(issuer, this.options.clientId, undefined, oidc.ClientSecretBasic(this.options.clientSecret), {
          timeout: this.options.timeoutS ?? 10,
          // Plain HTTP only to an OP on this machine (tests, local development).
          ...(issuer.protocol === 'http:' && isLoopback(issuer.hostname) ? { execute: [oidc.allowInsecureRequests] } : {}),
        })
        .catch((error: unknown) => {
          this.configuration = undefined;
          throw new IdentityProviderUnavailable(`OpenID Provider discovery failed: ${(error as Error).message}`);
        });
    }
    return this.configuration;
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

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '127.0.0.1' || hostname === '[::1]';
}
