import type { DomainEvent } from './envelope.ts';

/** A public key a provider signs its client assertions with (a JWK, public members only). */
export interface ProviderKey {
  kid: string;
  jwk: Record<string, unknown>;
}

/** The stages a provider passes through; each ledger runs in one of them (LEDGER_ENVIRONMENT). */
export const ENVIRONMENTS = ['simulator', 'integration', 'production'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/** What a certificate is for: signing the provider's messages, or encrypting its transport (TLS). */
export const CERTIFICATE_PURPOSES = ['signing', 'transport'] as const;
export type CertificatePurpose = (typeof CERTIFICATE_PURPOSES)[number];

export const KEY_TYPES = ['ec', 'rsa', 'ed25519'] as const;
export type KeyType = (typeof KEY_TYPES)[number];

/**
 * A certificate's technical profile, compared member by member between environments. Curves are
 * named as in JOSE (`P-256`, `P-384`, `P-521`); RSA keys give their modulus size instead.
 * A type, not an interface: event data is a plain record.
 */
export type CertificateProfile = {
  keyType: KeyType;
  curve?: string;
  modulusBits?: number;
  /** The algorithm the certificate's issuer signed it with, e.g. `sha256WithRSAEncryption`, `ecdsa-with-SHA256`. */
  signatureAlgorithm: string;
};

export type CertificateRecord = {
  certificateId: string;
  purpose: CertificatePurpose;
  /** base64url SHA-256 of the DER: the `x5t#S256` of RFC 8705. */
  thumbprintSha256: string;
  subject: string;
  notBefore: string;
  notAfter: string;
  profile: CertificateProfile;
  /** The certificate's public key as a JWK (public members only): what a signing certificate's assertions verify with. */
  publicJwk: Record<string, unknown>;
};

/** What an application says when it is filed (the event adds when). */
export type ApplicationFiling = {
  providerId: string;
  applicationId: string;
  environment: Environment;
  owner: { name: string; registrationNumber: string };
  technicalContact: { name: string; email: string };
  skipSimulator: boolean;
  /** Assigned by the application layer, increasing across the ledger. */
  filingSequence: number;
};

/** The environment whose ledger passes a provider on to this one's: simulator to integration, integration to production. */
export const PREVIOUS_ENVIRONMENT = { integration: 'simulator', production: 'integration' } as const satisfies Partial<Record<Environment, Environment>>;
/** The environment a ledger passes its providers on to. */
export const NEXT_ENVIRONMENT = { simulator: 'integration', integration: 'production' } as const satisfies Partial<Record<Environment, Environment>>;

/** When conformance was passed, by environment. */
export type ConformanceRecord = Partial<Record<Environment, string>>;

/** An application as a provider record passes it on: its environment's, decided or not. */
export type TransferredApplication = {
  applicationId: string;
  environment: Environment;
  filingSequence: number;
  skipSimulator: boolean;
  filedAt: string;
  status: 'filed' | 'approved' | 'rejected';
  decidedBy?: string;
  decidedAt?: string;
};

/** A certificate as a provider record passes it on: what it is and its profile, never its key. */
export type TransferredCertificate = {
  environment: Environment;
  purpose: CertificatePurpose;
  thumbprintSha256: string;
  subject: string;
  notBefore: string;
  notAfter: string;
  profile: CertificateProfile;
  revoked: boolean;
};

/**
 * What one environment's ledger knows of a provider, as it passes it on to the next one's (signed by
 * the exporting ledger; the signature and its claims are the application layer's). What that ledger
 * had imported itself travels on with it: conformance, applications and certificates of every
 * earlier environment.
 */
export type ProviderRecord = {
  /** The exporting ledger's environment. */
  environment: Environment;
  provider: { name: string; returnUrls: string[] };
  conformance: ConformanceRecord;
  applications: TransferredApplication[];
  certificates: TransferredCertificate[];
  /** The record the exporting ledger had imported, if any. */
  importedFrom?: { issuer: string; environment: Environment; exportId: string };
};

/** Where an imported record came from: the exporting ledger and the export (its JWS's kid and jti). */
export type RecordOrigin = { environment: Environment; issuer: string; keyId: string; exportId: string; exportedAt: string };

export const CONNECTION_DECISIONS = ['approve', 'refuse'] as const;
export type ConnectionDecision = (typeof CONNECTION_DECISIONS)[number];

/**
 * The onboarding part of a provider's stream. Admins appear as their actors (`admin:<adminId>`),
 * as in the events' metadata. `filingSequence` is the ledger-wide order applications were filed in,
 * assigned by the application layer; deciders only compare it.
 */
export type OnboardingEvent =
  | DomainEvent<
      'ApplicationFiled',
      ApplicationFiling & { filedAt: string }
    >
  | DomainEvent<'ApplicationApproved', { providerId: string; applicationId: string; by: string; reason: string; outOfOrderReason?: string; approvedAt: string }>
  | DomainEvent<'ApplicationRejected', { providerId: string; applicationId: string; by: string; reason: string; outOfOrderReason?: string; rejectedAt: string }>
  /** `supportUntil` is null in production: there access lasts, and activation governs tokens. */
  | DomainEvent<'EnvironmentAccessGranted', { providerId: string; environment: Environment; supportUntil: string | null; grantedAt: string }>
  | DomainEvent<'SupportExtended', { providerId: string; environment: 'integration'; supportUntil: string; by: string; extendedAt: string }>
  | DomainEvent<'CertificateRegistered', CertificateRecord & { providerId: string; environment: Environment; registeredAt: string }>
  | DomainEvent<'CertificateRevoked', { providerId: string; certificateId: string; reason: string; revokedAt: string }>
  | DomainEvent<'ConformancePassed', { providerId: string; environment: Environment; at: string }>
  /**
   * A conformance item the provider's reads show (reads are not events of their own): noted once per
   * item and support window, so that every process and a restart know it.
   */
  | DomainEvent<'ConformanceObserved', { providerId: string; environment: Environment; item: ConformanceReadItem; at: string }>
  | DomainEvent<'ConnectionDecided', { providerId: string; decision: ConnectionDecision; by: string; reason: string; decidedAt: string }>
  | DomainEvent<'ProductionActivated', { providerId: string; by: string; at: string }>
  /** The previous environment's record of the provider, verified and taken over by this ledger. */
  | DomainEvent<
      'ProviderRecordImported',
      Omit<ProviderRecord, 'environment'> & { providerId: string; from: RecordOrigin; by: string; importedAt: string }
    >;

/** The conformance items a provider's reads of its acts show, not the act events. */
export const CONFORMANCE_READ_ITEMS = ['failed-authentication-read-back', 'results-read'] as const;
export type ConformanceReadItem = (typeof CONFORMANCE_READ_ITEMS)[number];

export const onboardingEventTypes = [
  'ApplicationFiled',
  'ApplicationApproved',
  'ApplicationRejected',
  'EnvironmentAccessGranted',
  'SupportExtended',
  'CertificateRegistered',
  'CertificateRevoked',
  'ConformancePassed',
  'ConformanceObserved',
  'ConnectionDecided',
  'ProductionActivated',
  'ProviderRecordImported',
] as const satisfies ReadonlyArray<OnboardingEvent['type']>;

export type ProviderEvent =
  | OnboardingEvent

  | DomainEvent<'ProviderRegistered', { providerId: string; name: string; keys: ProviderKey[]; returnUrls: string[]; registeredAt: string }>
  | DomainEvent<'ProviderKeyAdded', { providerId: string; key: ProviderKey; addedAt: string }>
  | DomainEvent<'ProviderKeyRevoked', { providerId: string; kid: string; revokedAt: string }>
  | DomainEvent<'ProviderReturnUrlsChanged', { providerId: string; returnUrls: string[]; changedAt: string }>
  | DomainEvent<'ProviderSuspended', { providerId: string; reason: string; suspendedAt: string }>
  | DomainEvent<'ProviderReinstated', { providerId: string; reinstatedAt: string }>;

export const providerEventTypes = [
  'ProviderRegistered',
  'ProviderKeyAdded',
  'ProviderKeyRevoked',
  'ProviderReturnUrlsChanged',
  'ProviderSuspended',
  'ProviderReinstated',
  ...onboardingEventTypes,
] as const satisfies ReadonlyArray<ProviderEvent['type']>;

/**
 * The `onboarding-filings` stream: one event per application filed, at the revision that gives the
 * application its ledger-wide filing sequence (revision + 1). Nothing folds it; it is a counter.
 */
export type FilingEvent = DomainEvent<'FilingNumberTaken', { providerId: string; applicationId: string; environment: Environment; filingSequence: number }>;
export const filingEventTypes = ['FilingNumberTaken'] as const satisfies ReadonlyArray<FilingEvent['type']>;
