import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Ajv } from 'ajv';
import { SignJWT, createLocalJWKSet, createRemoteJWKSet, errors, importJWK, jwtVerify, type CryptoKey, type JWTVerifyGetKey, type KeyObject } from 'jose';
import type { Environment, ProviderRecord, RecordOrigin } from '../../../events/provider.ts';
import { providerRecordSchema } from '../../../events/provider-schemas.ts';
import { nextEnvironment, previousEnvironment, recordToExport } from '../../../commands/provider-import.ts';
import { refuse } from '../../../commands/errors.ts';
import type { ProviderState } from '../../../commands/provider.ts';
import type { LedgerConfig } from '../../config.ts';
import type { LedgerKeys } from '../ledger-keys.ts';
import type { CommandContext } from '../command-handler.ts';
import type { ProviderDirectory } from './provider-directory.ts';

/** The JOSE `typ` of an exported provider record: its own, so no other token the ledger signs passes for one. */
export const PROVIDER_RECORD_TYPE = 'provider-record+jwt';
/** How long an export may wait to be imported. */
export const RECORD_LIFETIME_SECONDS = 14 * 24 * 60 * 60;

/** Where the previous environment's keys come from; `undefined` when this ledger was not told. */
export type PreviousEnvironmentKeys = JWTVerifyGetKey | undefined;

/** The key set LEDGER_PREVIOUS_ENVIRONMENT_JWKS names: fetched (and cached by jose) from a URL, or read from the file at each import. */
export function previousEnvironmentKeys(source: LedgerConfig['previousEnvironmentJwks']): PreviousEnvironmentKeys {
  if (!source) return undefined;
  if (source.kind === 'url') return createRemoteJWKSet(new URL(source.url));
  // Read each time: a copy replaced after the previous ledger rotated its keys counts at once.
  return async (header, token) => createLocalJWKSet(JSON.parse(await readFile(source.path, 'utf8')))(header, token);
}

/** The previous environment's key set could not be had (unreachable, not a key set): nothing is known about the record yet. */
export class PreviousKeysUnavailableError extends Error {
  override readonly name = 'PreviousKeysUnavailableError';
}

const validRecord = new Ajv({ strict: true, allErrors: false }).compile<ProviderRecord>(providerRecordSchema);

export interface RecordTransferDeps {
  environment: Environment;
  /** This ledger's public URL: the `iss` of what it exports. */
  issuer: string;
  keys: LedgerKeys;
  providers: ProviderDirectory;
  previousKeys: PreviousEnvironmentKeys;
  clock: () => Date;
}

export interface ImportOutcome {
  providerId: string;
  /** False when this very export had been imported before: nothing was recorded again. */
  imported: boolean;
  from: RecordOrigin;
  state: ProviderState;
}

/**
 * Passing a provider on between environments' ledgers: the export is a JWT this ledger signs with
 * its current key (the set at /.well-known/jwks.json), for the next environment as its audience;
 * the import verifies one from the previous environment against that environment's published keys,
 * pinning algorithm, type and audience, and hands what it says to the provider decider
 * (commands/provider-import.ts), which records where it came from.
 */
export class RecordTransfer {
  private signingKey?: { kid: string; key: CryptoKey | KeyObject | Uint8Array };

  constructor(private readonly deps: RecordTransferDeps) {}

  /** The provider's record, signed, for the next environment's ledger. */
  async export(providerId: string): Promise<{ record: string; exportId: string; audience: Environment; expiresAt: string }> {
    const { environment } = this.deps;
    const audience = nextEnvironment(environment);
    if (!audience) refuse('record-transfer-not-allowed', `records are exported from the simulator and integration, not from ${environment}`);
    const record = recordToExport(await this.deps.providers.get(providerId), environment);
    const current = this.deps.keys.current;
    if (this.signingKey?.kid !== current.kid) this.signingKey = { kid: current.kid, key: await importJWK(current.privateJwk, 'EdDSA') };
    const iat = Math.floor(this.deps.clock().getTime() / 1000);
    const exportId = randomUUID();
    const jws = await new SignJWT({ record })
      .setProtectedHeader({ alg: 'EdDSA', typ: PROVIDER_RECORD_TYPE, kid: current.kid })
      .setIssuer(this.deps.issuer)
      .setSubject(providerId)
      .setAudience(audience)
      .setJti(exportId)
      .setIssuedAt(iat)
      .setExpirationTime(iat + RECORD_LIFETIME_SECONDS)
      .sign(this.signingKey.key);
    return { record: jws, exportId, audience, expiresAt: new Date((iat + RECORD_LIFETIME_SECONDS) * 1000).toISOString() };
  }

  /** Verifies a record the previous environment's ledger exported and records it; the same export a second time records nothing. */
  async import(jws: string, context: CommandContext): Promise<ImportOutcome> {
    const { environment } = this.deps;
    const expected = previousEnvironment(environment);
    if (!expected) refuse('record-transfer-not-allowed', `records are imported in integration and production, not in ${environment}`);
    if (!this.deps.previousKeys) {
      refuse('previous-environment-unknown', `this ${environment} ledger was not given the ${expected} ledger's keys (LEDGER_PREVIOUS_ENVIRONMENT_JWKS)`);
    }
    const { providerId, record, from } = await this.verify(jws, this.deps.previousKeys);
    const state = await this.deps.providers.execute(providerId, { type: 'ImportProviderRecord', providerId, environment, record, from, by: context.actor, now: context.now }, context);
    // The stream after the command tells: a first import is recorded at this command's time, a repeated one kept its own.
    const previous = state.onboarding.previous;
    return { providerId, imported: previous?.exportId === from.exportId && previous.importedAt === context.now, from, state };
  }

  private async verify(jws: string, keys: JWTVerifyGetKey): Promise<{ providerId: string; record: ProviderRecord; from: RecordOrigin }> {
    const guarded: JWTVerifyGetKey = async (header, token) => {
      // An export names the key it was signed with; the import records which one that was.
      if (!header.kid) throw new errors.JWKSNoMatchingKey('the record names no key (kid)');
      try {
        return await keys(header, token);
      } catch (error) {
        if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) throw error;
        throw new PreviousKeysUnavailableError(`the previous environment's keys could not be read: ${error instanceof Error ? error.message : String(error)}`);
      }
    };
    let verified;
    try {
      verified = await jwtVerify(jws, guarded, {
        algorithms: ['EdDSA'],
        typ: PROVIDER_RECORD_TYPE,
        audience: this.deps.environment,
        requiredClaims: ['iss', 'sub', 'iat', 'exp', 'jti'],
        currentDate: this.deps.clock(),
      });
    } catch (error) {
      if (error instanceof PreviousKeysUnavailableError) throw error;
      if (error instanceof errors.JWTExpired) refuse('import-record-invalid', 'the record has expired: export it again', { reason: 'expired' });
      if (error instanceof errors.JWTClaimValidationFailed) {
        refuse('import-record-invalid', `the record's ${error.claim} is not one this ledger imports`, { reason: error.claim === 'aud' ? 'audience' : error.claim });
      }
      if (error instanceof errors.JWTInvalid) refuse('import-record-invalid', 'the signed content is not a JWT claims set', { reason: 'claims' });
      // Unknown key, a signature that does not verify, another algorithm, not a JWS at all.
      refuse('import-signature-invalid', `the record does not verify with the ${previousEnvironment(this.deps.environment)} ledger's published keys`);
    }
    const { payload, protectedHeader } = verified;
    const sub = payload.sub!;
    if (sub.length === 0 || sub.length > 100) refuse('import-record-invalid', 'the record names no provider', { reason: 'sub' });
    if (!validRecord(payload.record)) {
      const first = validRecord.errors?.[0];
      refuse('import-record-invalid', `the record's contents are not a provider record${first ? ` (${first.instancePath || '/'} ${first.message ?? ''})` : ''}`, { reason: 'record' });
    }
    const record = payload.record;
    return {
      providerId: sub,
      record,
      from: { environment: record.environment, issuer: payload.iss!, keyId: protectedHeader.kid!, exportId: payload.jti!, exportedAt: new Date(payload.iat! * 1000).toISOString() },
    };
  }
}
