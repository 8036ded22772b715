import { createHash, randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify, createLocalJWKSet, importJWK, type CryptoKey, type KeyObject } from 'jose';
import type { LedgerKeys } from '../ledger-keys.ts';

export interface ActAsClaims {
  /** The token's subject: the provider (an ActAs token) or the admin (an admin token) it was issued to. */
  subject: string;
  /** The same as `subject`, under the name provider routes read. */
  providerId: string;
  jti: string;
  /** Expiry, epoch seconds. */
  exp: number;
  /** The client certificate the token is bound to (`cnf.x5t#S256`, RFC 8705), when it was issued over mutual TLS. */
  certificateThumbprint?: string;
}

export class InvalidAccessTokenError extends Error {
  override readonly name = 'InvalidAccessTokenError';
}

/** The JOSE `typ` of an ActAs token (RFC 9068 access token). */
export const ACCESS_TOKEN_TYPE = 'at+jwt';
/** The JOSE `typ` of an admin access token: its own, so neither kind of token passes for the other. */
export const ADMIN_TOKEN_TYPE = 'admin+jwt';

/** What sets one kind of ledger token apart: its `typ`, the API it is for (its audience) and its scope. */
export interface TokenProfile {
  typ: string;
  /** Appended to the issuer to make the audience. */
  audiencePath: string;
  scope: string;
}

export const ACT_AS_TOKENS: TokenProfile = { typ: ACCESS_TOKEN_TYPE, audiencePath: '/api/v1', scope: 'acts' };
export const ADMIN_TOKENS: TokenProfile = { typ: ADMIN_TOKEN_TYPE, audiencePath: '/api/v1/admin', scope: 'admin' };
const CACHE_LIMIT = 50_000;

/**
 * ActAs tokens: JWTs the ledger signs for a provider after it proved itself with a client assertion
 * (and, with the ADMIN_TOKENS profile, admin tokens for named admins, another instance with its own
 * type and audience). Verification pins algorithm, issuer, audience and type. A verified token is remembered by its
 * SHA-256 digest until it expires, so a provider's busy routes do not pay a signature check per call.
 */
export class AccessTokens {
  private readonly verified = new Map<string, ActAsClaims>();
  private signingKey?: { kid: string; key: CryptoKey | KeyObject | Uint8Array };
  private jwks?: { kid: string; set: ReturnType<typeof createLocalJWKSet> };

  constructor(
    private readonly keys: LedgerKeys,
    private readonly issuer: string,
    private readonly ttlMs: number,
    private readonly profile: TokenProfile = ACT_AS_TOKENS,
  ) {}

  /** The audience of these tokens: the provider API for ActAs tokens, the admin API for admin tokens. */
  get audience(): string {
    return `${this.issuer}${this.profile.audiencePath}`;
  }

  /** `certificateThumbprint`: bind the token to the client certificate it was asked for over (RFC 8705 `cnf`). */
  async issue(providerId: string, nowMs = Date.now(), options: { certificateThumbprint?: string } = {}): Promise<{ token: string; expiresIn: number }> {
    const current = this.keys.current;
    if (this.signingKey?.kid !== current.kid) {
      this.signingKey = { kid: current.kid, key: await importJWK(current.privateJwk, 'EdDSA') };
    }
    const iat = Math.floor(nowMs / 1000);
    const expiresIn = Math.floor(this.ttlMs / 1000);
    const cnf = options.certificateThumbprint ? { cnf: { 'x5t#S256': options.certificateThumbprint } } : {};
    const token = await new SignJWT({ scope: this.profile.scope, client_id: providerId, ...cnf })
      .setProtectedHeader({ alg: 'EdDSA', typ: this.profile.typ, kid: current.kid })
      .setIssuer(this.issuer)
      .setAudience(this.audience)
      .setSubject(providerId)
      .setJti(randomUUID())
      .setIssuedAt(iat)
      .setExpirationTime(iat + expiresIn)
      .sign(this.signingKey.key);
    return { token, expiresIn };
  }

  /** The token's claims, or InvalidAccessTokenError. Suspension is the caller's check. */
  async verify(token: string, nowMs = Date.now()): Promise<ActAsClaims> {
    const digest = createHash('sha256').update(token).digest('base64url');
    const hit = this.verified.get(digest);
    if (hit) {
      if (hit.exp * 1000 > nowMs) return hit;
      this.verified.delete(digest);
      throw new InvalidAccessTokenError('token expired');
    }
    let claims: ActAsClaims;
    try {
      const { payload } = await jwtVerify(token, this.verificationKeys(), {
        algorithms: ['EdDSA'],
        issuer: this.issuer,
        audience: this.audience,
        typ: this.profile.typ,
        requiredClaims: ['sub', 'exp', 'iat', 'jti'],
        currentDate: new Date(nowMs),
      });
      const bound = (payload.cnf as Record<string, unknown> | undefined)?.['x5t#S256'];
      claims = { subject: payload.sub!, providerId: payload.sub!, jti: payload.jti!, exp: payload.exp!, ...(typeof bound === 'string' ? { certificateThumbprint: bound } : {}) };
    } catch (error) {
      throw new InvalidAccessTokenError(error instanceof Error ? error.message : 'invalid token');
    }
    if (this.verified.size >= CACHE_LIMIT) this.evictExpired(nowMs);
    this.verified.set(digest, claims);
    return claims;
  }

  /** The keys in service as jose's key set (never a retired one), rebuilt only when the signing key changes. */
  private verificationKeys(): ReturnType<typeof createLocalJWKSet> {
    const kid = this.keys.current.kid;
    if (this.jwks?.kid !== kid) this.jwks = { kid, set: createLocalJWKSet(this.keys.tokenJwks()) };
    return this.jwks.set;
  }

  private evictExpired(nowMs: number): void {
    for (const [digest, c] of this.verified) if (c.exp * 1000 <= nowMs) this.verified.delete(digest);
    if (this.verified.size >= CACHE_LIMIT) this.verified.clear();
  }
}
