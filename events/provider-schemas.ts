import { CERTIFICATE_PURPOSES, CONFORMANCE_READ_ITEMS, CONNECTION_DECISIONS, ENVIRONMENTS, KEY_TYPES, type FilingEvent, type ProviderEvent, type ProviderRecord } from './provider.ts';
import { base64url256, count, exactly, hex256, instant, listOf, oneOf, sequence, text, type JsonSchema } from './json-schema.ts';

const key = exactly({ kid: text, jwk: { type: 'object' } });
const environment = oneOf(ENVIRONMENTS);
/** An admin as its actor, `admin:<adminId>`, as in the events' metadata. */
const admin = { type: 'string', pattern: '^admin:.+' } as const;
const email = { type: 'string', pattern: '^[^@\\s]+@[^@\\s]+$' } as const;
/** A certificate's public key as a JWK: public members only, never a private one. */
const publicJwk = {
  type: 'object',
  required: ['kty'],
  properties: { kty: { type: 'string', enum: ['EC', 'RSA', 'OKP'] }, crv: text, x: text, y: text, n: text, e: text },
  additionalProperties: false,
} as const;
const profile = exactly({ keyType: oneOf(KEY_TYPES), signatureAlgorithm: text }, { curve: text, modulusBits: count });

/** The parts of a provider record (ProviderRecord), shared by the import event and the record's own check. */
export const providerRecordParts = {
  provider: exactly({ name: text, returnUrls: listOf(text) }),
  conformance: exactly({}, Object.fromEntries(ENVIRONMENTS.map((e) => [e, instant]))),
  applications: listOf(
    exactly(
      { applicationId: text, environment, filingSequence: sequence, skipSimulator: { type: 'boolean' }, filedAt: instant, status: oneOf(['filed', 'approved', 'rejected']) },
      { decidedBy: admin, decidedAt: instant },
    ),
  ),
  certificates: listOf(
    exactly({
      environment,
      purpose: oneOf(CERTIFICATE_PURPOSES),
      thumbprintSha256: base64url256,
      subject: text,
      notBefore: instant,
      notAfter: instant,
      profile,
      revoked: { type: 'boolean' },
    }),
  ),
  importedFrom: exactly({ issuer: text, environment, exportId: text }),
} as const satisfies Record<Exclude<keyof ProviderRecord, 'environment'>, JsonSchema>;

/** A provider record as the `record` claim of an export carries it. */
export const providerRecordSchema = exactly(
  { environment, provider: providerRecordParts.provider, conformance: providerRecordParts.conformance, applications: providerRecordParts.applications, certificates: providerRecordParts.certificates },
  { importedFrom: providerRecordParts.importedFrom },
);

/** The data of each provider event at its current schema version (older versions are upcast first: upcasters.ts). */
export const providerEventSchemas = {
  ProviderRegistered: exactly({ providerId: text, name: text, keys: listOf(key), returnUrls: listOf(text), registeredAt: instant }),
  ProviderKeyAdded: exactly({ providerId: text, key, addedAt: instant }),
  ProviderKeyRevoked: exactly({ providerId: text, kid: text, revokedAt: instant }),
  ProviderReturnUrlsChanged: exactly({ providerId: text, returnUrls: listOf(text), changedAt: instant }),
  ProviderSuspended: exactly({ providerId: text, reason: text, suspendedAt: instant }),
  ProviderReinstated: exactly({ providerId: text, reinstatedAt: instant }),

  ApplicationFiled: exactly({
    providerId: text,
    applicationId: text,
    environment,
    owner: exactly({ name: text, registrationNumber: text }),
    technicalContact: exactly({ name: text, email }),
    skipSimulator: { type: 'boolean' },
    filingSequence: sequence,
    filedAt: instant,
  }),
  ApplicationApproved: exactly({ providerId: text, applicationId: text, by: admin, reason: text, approvedAt: instant }, { outOfOrderReason: text }),
  ApplicationRejected: exactly({ providerId: text, applicationId: text, by: admin, reason: text, rejectedAt: instant }, { outOfOrderReason: text }),
  EnvironmentAccessGranted: exactly({ providerId: text, environment, supportUntil: { anyOf: [instant, { type: 'null' }] }, grantedAt: instant }),
  SupportExtended: exactly({ providerId: text, environment: oneOf(['integration']), supportUntil: instant, by: admin, extendedAt: instant }),
  CertificateRegistered: exactly({
    providerId: text,
    environment,
    certificateId: text,
    purpose: oneOf(CERTIFICATE_PURPOSES),
    thumbprintSha256: base64url256,
    subject: text,
    notBefore: instant,
    notAfter: instant,
    profile,
    publicJwk,
    registeredAt: instant,
  }),
  CertificateRevoked: exactly({ providerId: text, certificateId: text, reason: text, revokedAt: instant }),
  ConformancePassed: exactly({ providerId: text, environment, at: instant }),
  ConformanceObserved: exactly({ providerId: text, environment, item: oneOf(CONFORMANCE_READ_ITEMS), at: instant }),
  ConnectionDecided: exactly({ providerId: text, decision: oneOf(CONNECTION_DECISIONS), by: admin, reason: text, decidedAt: instant }),
  ProductionActivated: exactly({ providerId: text, by: admin, at: instant }),
  ProviderRecordImported: exactly(
    {
      providerId: text,
      from: exactly({ environment, issuer: text, keyId: text, exportId: text, exportedAt: instant }),
      provider: providerRecordParts.provider,
      conformance: providerRecordParts.conformance,
      applications: providerRecordParts.applications,
      certificates: providerRecordParts.certificates,
      by: admin,
      importedAt: instant,
    },
    { importedFrom: providerRecordParts.importedFrom },
  ),
} as const satisfies Record<ProviderEvent['type'], JsonSchema>;

/** The data of the `onboarding-filings` stream's one event type. */
export const filingEventSchemas = {
  FilingNumberTaken: exactly({ providerId: text, applicationId: text, environment, filingSequence: sequence }),
} as const satisfies Record<FilingEvent['type'], JsonSchema>;
