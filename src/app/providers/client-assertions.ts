import { decodeJwt, decodeProtectedHeader, importJWK, jwtVerify, type JWK } from 'jose';
import { isAdminId } from '../../../events/admin.ts';
import type { ReplayGuard } from '../../ports/replay-guard.ts';

/** What an assertion is checked against: a client (provider or named admin), its keys, whether it is suspended. */
export interface AssertionClient {
  exists: boolean;
  suspended: boolean;
  keys: Record<string, { kid: string; jwk: Record<string, unknown>; revoked: boolean }>;
}

/** Where clients of one kind are looked up by id (the provider directory, the admin directory). */
export interface AssertionClients {
  get(id: string): Promise<AssertionClient>;
}

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** Algorithms a provider may sign assertions with; nothing symmetric, never `none`. */
export const ASSERTION_ALGORITHMS = ['ES256', 'EdDSA'] as const;
const MAX_LIFETIME_S = 300;
const CLOCK_TOLERANCE_S = 30;
const MAX_JTI_LENGTH = 200;

/** Why a client assertion was refused; `invalid_client` answers 401, the rest 400. */
export class AssertionRefusedError extends Error {
  override readonly name = 'AssertionRefusedError';
  constructor(
    readonly reason:
      | 'malformed'
      | 'provider-unknown'
      | 'provider-suspended'
      | 'admin-unknown'
      | 'admin-suspended'
      | 'key-unknown'
      | 'signature-invalid'
      | 'claims-invalid'
      | 'replayed',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Checks an RFC 7523 client assertion: signed by one of the client's active keys with ES256 or
 * EdDSA, iss = sub = the client's id, aud = the token endpoint, expiring within 5 minutes, jti unused.
 * The client is a provider, or a named admin when `iss` is an admin id (`adm_...`): the same checks,
 * looked up in the admin directory.
 */
export class ClientAssertions {
  constructor(
    private readonly providers: AssertionClients,
    private readonly replay: ReplayGuard,
    private readonly tokenEndpoint: string,
    private readonly admins?: AssertionClients,
  ) {}

  /** The provider id (or admin id, `adm_...`) the assertion proves, or AssertionRefusedError. */
  async verify(assertion: string, nowMs = Date.now()): Promise<string> {
    let iss: string | undefined;
    let kid: string | undefined;
    try {
      iss = decodeJwt(assertion).iss;
      kid = decodeProtectedHeader(assertion).kid;
    } catch {
      throw new AssertionRefusedError('malformed', 'client_assertion is not a JWT');
    }
    if (!iss) throw new AssertionRefusedError('malformed', 'client_assertion has no iss');
    // A JWT's iss is a string (RFC 7519 section 4.1.1); anything else is no client id at all.
    if (typeof iss !== 'string') throw new AssertionRefusedError('malformed', 'client_assertion iss is not a string');
    const admin = isAdminId(iss);
    const provider = admin ? await this.admins?.get(iss) : await this.providers.get(iss);
    if (!provider?.exists) throw new AssertionRefusedError(admin ? 'admin-unknown' : 'provider-unknown', admin ? 'unknown admin' : 'unknown provider');
    if (provider.suspended) throw new AssertionRefusedError(admin ? 'admin-suspended' : 'provider-suspended', admin ? 'admin is suspended' : 'provider is suspended');

    const candidates = Object.values(provider.keys).filter((k) => !k.revoked && (kid === undefined || k.kid === kid));
    if (candidates.length === 0) {
      const revoked = kid !== undefined && provider.keys[kid]?.revoked;
      throw new AssertionRefusedError('key-unknown', revoked ? 'key is revoked' : 'no active key matches the assertion');
    }

    let payload: Awaited<ReturnType<typeof jwtVerify>>['payload'] | undefined;
    let claimsError: unknown;
    for (const candidate of candidates) {
      try {
        const alg = algorithmOf(candidate.jwk as JWK);
        if (!alg) continue;
        const key = await importJWK(candidate.jwk as JWK, alg);
        ({ payload } = await jwtVerify(assertion, key, {
          algorithms: [alg],
          issuer: iss,
          subject: iss,
          audience: this.tokenEndpoint,
          requiredClaims: ['exp', 'jti', 'iat'],
          clockTolerance: CLOCK_TOLERANCE_S,
          currentDate: new Date(nowMs),
        }));
        break;
      } catch (error) {
        if ((error as { code?: string }).code !== 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') claimsError = error;
      }
    }
    if (!payload) {
      if (claimsError) throw new AssertionRefusedError('claims-invalid', describe(claimsError));
      throw new AssertionRefusedError('signature-invalid', 'signature does not verify with any active key');
    }

    // jose checks that the claims are present and that exp and iat are numbers, not what a jti is.
    const { jti } = payload;
    if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH) {
      throw new AssertionRefusedError('claims-invalid', `jti must be a string of 1 to ${MAX_JTI_LENGTH} characters`);
    }
    const now = Math.floor(nowMs / 1000);
    if (payload.exp! > now + MAX_LIFETIME_S + CLOCK_TOLERANCE_S) {
      throw new AssertionRefusedError('claims-invalid', 'exp is more than 5 minutes ahead');
    }
    if (payload.iat! > now + CLOCK_TOLERANCE_S) throw new AssertionRefusedError('claims-invalid', 'iat is in the future');
    const fresh = await this.replay.consume(`assertion:${iss}`, jti, (payload.exp! + CLOCK_TOLERANCE_S) * 1000);
    if (!fresh) throw new AssertionRefusedError('replayed', 'jti has been used before');
    return iss;
  }
}

function algorithmOf(jwk: JWK): 'ES256' | 'EdDSA' | undefined {
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return 'ES256';
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'EdDSA';
  return undefined;
}

function describe(error: unknown): string {
  const e = error as { code?: string; message?: string; claim?: string };
  if (e.code === 'ERR_JWS_INVALID' || e.code === 'ERR_JOSE_ALG_NOT_ALLOWED') return 'assertion algorithm or format not accepted';
  return e.message ?? 'assertion claims invalid';
}
