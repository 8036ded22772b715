import type { KeyObject } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, importJWK, jwtVerify, type JWK } from 'jose';
import type { Environment } from '../../../events/provider.ts';
import type { ProviderState } from '../../../commands/provider.ts';
import { assertionKeyFor, CertificateRefusedError, type RegisteredCertificate } from './certificates.ts';
import { isAdminId } from '../../../events/admin.ts';
import type { ReplayGuard } from '../../ports/replay-guard.ts';

/**
 * What an assertion is checked against: a client (provider or named admin), whether it is suspended,
 * its plain keys, and the signing certificates it may sign with in this environment.
 */
export interface AssertionClient {
  exists: boolean;
  suspended: boolean;
  keys: Record<string, { kid: string; jwk: Record<string, unknown>; revoked: boolean }>;
  certificates?: readonly RegisteredCertificate[];
}

/**
 * Providers as assertion clients in `environment`: the signing certificates registered in this
 * environment, and plain keys only in the simulator ("plain JWKs stay accepted" there; elsewhere a
 * provider proves itself with a certificate the admins registered).
 */
export function providerAssertionClients(providers: { get(id: string): Promise<ProviderState> }, environment: Environment): AssertionClients {
  return {
    async get(id) {
      const state = await providers.get(id);
      const certificates = Object.values(state.onboarding.certificates)
        .filter((c) => c.environment === environment && c.purpose === 'signing');
      return { exists: state.exists, suspended: state.suspended, keys: environment === 'simulator' ? state.keys : {}, certificates };
    },
  };
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
      | 'certificate-unknown'
      | 'certificate-revoked'
      | 'certificate-expired'
      | 'certificate-not-yet-valid'
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
 * EdDSA, or by a registered signing certificate its header names (`x5t#S256`, or `kid` = the
 * certificate's id or thumbprint) with the one algorithm the certificate's key pins;
 * iss = sub = the client's id, aud = the token endpoint, expiring within 5 minutes, jti unused.
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
    let thumbprint: unknown;
    try {
      iss = decodeJwt(assertion).iss;
      const header = decodeProtectedHeader(assertion);
      kid = header.kid;
      thumbprint = header['x5t#S256'];
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

    const candidates = await this.candidateKeys(provider, kid, thumbprint, nowMs);

    let payload: Awaited<ReturnType<typeof jwtVerify>>['payload'] | undefined;
    let claimsError: unknown;
    for (const { key, alg } of candidates) {
      try {
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
      if (claimsError) throw new AssertionRefusedError('claims-invalid', this.describe(claimsError, assertion, iss));
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

  /** Why jose refused the claims, naming what was expected where the client cannot guess it (the audience above all). */
  private describe(error: unknown, assertion: string, iss: string): string {
    const e = error as { code?: string; message?: string; claim?: string };
    if (e.code === 'ERR_JWS_INVALID' || e.code === 'ERR_JOSE_ALG_NOT_ALLOWED') return 'assertion algorithm or format not accepted';
    if (e.code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' && e.claim === 'aud') {
      const sent = decodeJwt(assertion).aud;
      return `aud must be "${this.tokenEndpoint}" (this token endpoint's absolute URL, on the ledger's public URL), not ${JSON.stringify(sent ?? null)}`;
    }
    if (e.code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' && e.claim === 'sub') return `sub must equal iss ("${iss}")`;
    return e.message ?? 'assertion claims invalid';
  }

  /**
   * The keys the assertion may verify with, each with the one algorithm pinned to it. A header naming
   * a registered signing certificate is held to that certificate (unknown, revoked or outside its
   * validity: refused); otherwise the client's active plain keys, narrowed by `kid`.
   */
  private async candidateKeys(client: AssertionClient, kid: string | undefined, thumbprint: unknown, nowMs: number): Promise<Array<{ key: VerificationKey; alg: string }>> {
    const certificates = client.certificates ?? [];
    const namesCertificate =
      thumbprint !== undefined || (kid !== undefined && certificates.some((c) => c.certificateId === kid || c.thumbprintSha256 === kid));
    if (namesCertificate) {
      if (thumbprint !== undefined && typeof thumbprint !== 'string') throw new AssertionRefusedError('malformed', 'x5t#S256 is not a string');
      try {
        const { key, alg } = assertionKeyFor(certificates, { ...(kid !== undefined ? { kid } : {}), ...(thumbprint !== undefined ? { 'x5t#S256': thumbprint } : {}) }, nowMs);
        return [{ key, alg }];
      } catch (error) {
        if (error instanceof CertificateRefusedError && error.reason !== 'certificate-malformed' && error.reason !== 'certificate-weak' && error.reason !== 'certificate-purpose-mismatch') {
          throw new AssertionRefusedError(error.reason, error.message);
        }
        throw error;
      }
    }
    const keys = Object.values(client.keys).filter((k) => !k.revoked && (kid === undefined || k.kid === kid));
    const usable: Array<{ key: VerificationKey; alg: string }> = [];
    for (const candidate of keys) {
      const alg = algorithmOf(candidate.jwk as JWK);
      if (alg) usable.push({ key: await importJWK(candidate.jwk as JWK, alg), alg });
    }
    if (usable.length === 0) {
      const revoked = kid !== undefined && client.keys[kid]?.revoked;
      if (!revoked && certificates.length > 0) throw new AssertionRefusedError('certificate-unknown', 'the assertion names no registered signing certificate (x5t#S256, or kid = its id or thumbprint)');
      throw new AssertionRefusedError('key-unknown', revoked ? 'key is revoked' : 'no active key matches the assertion');
    }
    return usable;
  }
}

type VerificationKey = KeyObject | Uint8Array | Awaited<ReturnType<typeof importJWK>>;

function algorithmOf(jwk: JWK): 'ES256' | 'EdDSA' | undefined {
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return 'ES256';
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'EdDSA';
  return undefined;
}

