import type {
  ApplicationFiling,
  CertificateProfile,
  CertificatePurpose,
  CertificateRecord,
  ConformanceRecord,
  ConformanceReadItem,
  ConnectionDecision,
  Environment,
  OnboardingEvent,
  RecordOrigin,
  TransferredApplication,
  TransferredCertificate,
} from '../events/provider.ts';
import { refuse, type DomainErrorCode } from './errors.ts';

/**
 * A provider's way from application to production, in its `provider-<id>` stream. The provider
 * decider (provider.ts) folds these events into its state's `onboarding` and hands these commands
 * here: one decider per stream.
 *
 * One rule spans providers and so cannot be decided from one stream: applications for an
 * environment are decided in the order they were filed. The caller reads, from a projection over
 * every provider, the lowest filing sequence among the still undecided applications of that
 * environment, and passes it in as `earliestUndecidedFilingSequence`.
 */

const DAY_MS = 24 * 60 * 60 * 1000;
/** How long a provider is supported once admitted, by environment; production has no window. */
export const SUPPORT_DAYS = { simulator: 21, integration: 30 } as const;
/** Integration support may be extended, but never past this many days from the grant. */
export const INTEGRATION_SUPPORT_MAX_DAYS = 90;
/** Curves a certificate key may use (JOSE names); anything else is refused as weak or unknown. */
export const KNOWN_CURVES = ['P-256', 'P-384', 'P-521'] as const;
export const MIN_RSA_MODULUS_BITS = 2048;

export interface ApplicationState {
  environment: Environment;
  filingSequence: number;
  skipSimulator: boolean;
  filedAt: string;
  status: 'filed' | 'approved' | 'rejected';
  /** The admin who decided it, and when (a provider record passes both on). */
  decidedBy?: string;
  decidedAt?: string;
}

/**
 * The record the previous environment's ledger passed on (ProviderRecordImported): where it came
 * from, and what it vouches for. The latest import stands.
 */
export type PreviousRecord = RecordOrigin & {
  /** Conformance passed there, and in any environment before it. */
  conformance: ConformanceRecord;
  /** Applications decided there (and before), passed on again with this ledger's own record. */
  applications: TransferredApplication[];
  /** Certificates used there (and before), with their profiles: production's are held to integration's. */
  certificates: TransferredCertificate[];
  /** The record the previous ledger had imported itself, if any. */
  importedFrom?: { issuer: string; environment: Environment; exportId: string };
  importedAt: string;
};

export interface OnboardingState {
  applications: Record<string, ApplicationState>;
  /** Access by environment: when it was granted and until when it is supported (null: production, no window). */
  access: Partial<Record<Environment, { grantedAt: string; supportUntil: string | null }>>;
  /** Certificates by id; revoked ones stay, marked, so an id is never reused. */
  certificates: Record<string, CertificateRecord & { environment: Environment; revoked: boolean }>;
  /** When conformance was passed in this ledger, by environment. */
  conformance: ConformanceRecord;
  connection?: { decision: ConnectionDecision; decidedAt: string };
  activatedAt?: string;
  /**
   * The record imported from the previous environment's ledger, if any. It vouches for what was
   * passed there: a connection decision needs no integration conformance of this ledger's own, and
   * production certificates are held to the integration profiles it lists.
   */
  previous?: PreviousRecord;
}

export const initialOnboarding = (): OnboardingState => ({ applications: {}, access: {}, certificates: {}, conformance: {} });

interface DecidingAnApplication {
  applicationId: string;
  /** The admin as its actor, `admin:<adminId>`. */
  by: string;
  reason: string;
  /** Why this application is decided before an earlier-filed one; required exactly then. */
  outOfOrderReason?: string;
  /** Lowest filing sequence among undecided applications of the same environment, over every provider; null when none. */
  earliestUndecidedFilingSequence: number | null;
  now: string;
}

export type OnboardingCommand =
  | ({ type: 'FileApplication'; now: string } & ApplicationFiling)
  | ({ type: 'ApproveApplication' } & DecidingAnApplication)
  | ({ type: 'RejectApplication' } & DecidingAnApplication)
  | { type: 'ExtendSupport'; environment: Environment; supportUntil: string; by: string; now: string }
  | { type: 'RegisterCertificate'; environment: Environment; certificate: CertificateRecord; now: string }
  | { type: 'RevokeCertificate'; certificateId: string; reason: string; now: string }
  | { type: 'RecordConformancePassed'; environment: Environment; now: string }
  | { type: 'ObserveConformance'; environment: Environment; item: ConformanceReadItem; now: string }
  | { type: 'DecideConnection'; decision: ConnectionDecision; by: string; reason: string; now: string }
  | { type: 'ActivateProduction'; by: string; now: string };

export const onboardingCommandTypes = [
  'FileApplication',
  'ApproveApplication',
  'RejectApplication',
  'ExtendSupport',
  'RegisterCertificate',
  'RevokeCertificate',
  'RecordConformancePassed',
  'ObserveConformance',
  'DecideConnection',
  'ActivateProduction',
] as const satisfies ReadonlyArray<OnboardingCommand['type']>;

export function isOnboardingCommand(command: { type: string }): command is OnboardingCommand {
  return (onboardingCommandTypes as readonly string[]).includes(command.type);
}

export function evolveOnboarding(state: OnboardingState, event: OnboardingEvent): OnboardingState {
  switch (event.type) {
    case 'ApplicationFiled': {
      const { applicationId, environment, filingSequence, skipSimulator, filedAt } = event.data;
      return { ...state, applications: { ...state.applications, [applicationId]: { environment, filingSequence, skipSimulator, filedAt, status: 'filed' } } };
    }
    case 'ApplicationApproved':
    case 'ApplicationRejected': {
      const application = state.applications[event.data.applicationId];
      if (!application) return state;
      const decided =
        event.type === 'ApplicationApproved'
          ? { status: 'approved' as const, decidedBy: event.data.by, decidedAt: event.data.approvedAt }
          : { status: 'rejected' as const, decidedBy: event.data.by, decidedAt: event.data.rejectedAt };
      return { ...state, applications: { ...state.applications, [event.data.applicationId]: { ...application, ...decided } } };
    }
    case 'EnvironmentAccessGranted':
      return { ...state, access: { ...state.access, [event.data.environment]: { grantedAt: event.data.grantedAt, supportUntil: event.data.supportUntil } } };
    case 'SupportExtended': {
      const access = state.access.integration;
      return access ? { ...state, access: { ...state.access, integration: { ...access, supportUntil: event.data.supportUntil } } } : state;
    }
    case 'CertificateRegistered': {
      const { providerId: _provider, registeredAt: _at, ...certificate } = event.data;
      return { ...state, certificates: { ...state.certificates, [certificate.certificateId]: { ...certificate, revoked: false } } };
    }
    case 'CertificateRevoked': {
      const certificate = state.certificates[event.data.certificateId];
      return certificate ? { ...state, certificates: { ...state.certificates, [event.data.certificateId]: { ...certificate, revoked: true } } } : state;
    }
    case 'ConformanceObserved':
      // The checklist's (projections/provider-conformance.ts): nothing the decider needs.
      return state;
    case 'ConformancePassed':
      return { ...state, conformance: { ...state.conformance, [event.data.environment]: event.data.at } };
    case 'ConnectionDecided':
      return { ...state, connection: { decision: event.data.decision, decidedAt: event.data.decidedAt } };
    case 'ProductionActivated':
      return { ...state, activatedAt: event.data.at };
    case 'ProviderRecordImported': {
      const { from, conformance, applications, certificates, importedFrom, importedAt } = event.data;
      return { ...state, previous: { ...from, conformance, applications, certificates, ...(importedFrom ? { importedFrom } : {}), importedAt } };
    }
  }
}

/** The events an onboarding command causes for provider `providerId` (empty when the stream is new). */
export function decideOnboarding(command: OnboardingCommand, state: OnboardingState, providerId: string): OnboardingEvent[] {
  switch (command.type) {
    case 'FileApplication': {
      if (providerId && providerId !== command.providerId) refuse('invalid-request', 'the application names another provider than its stream');
      if (state.applications[command.applicationId]) refuse('conflict', `application ${command.applicationId} was filed already`);
      if (Object.values(state.applications).some((a) => a.environment === command.environment && a.status === 'filed')) {
        refuse('conflict', `an application for ${command.environment} is waiting for a decision already`);
      }
      if (command.skipSimulator && command.environment !== 'integration') refuse('invalid-request', 'only an integration application may skip the simulator');
      if (!Number.isInteger(command.filingSequence) || command.filingSequence < 1) refuse('invalid-request', 'the filing sequence is a whole number from 1');
      const { type: _type, now, ...data } = command;
      return [{ type: 'ApplicationFiled', data: { ...data, filedAt: now } }];
    }
    case 'ApproveApplication':
    case 'RejectApplication': {
      const application = state.applications[command.applicationId];
      if (!application) refuse('application-not-filed', `application ${command.applicationId} was not filed`);
      if (application.status !== 'filed') refuse('application-already-decided', `application ${command.applicationId} was ${application.status} already`);
      const decision = decisionBy(command);
      const earliest = command.earliestUndecidedFilingSequence;
      const outOfOrder = earliest !== null && earliest < application.filingSequence;
      const outOfOrderReason = command.outOfOrderReason?.trim();
      if (outOfOrder && !outOfOrderReason) {
        refuse('application-out-of-order', `an application filed earlier for ${application.environment} is still undecided`, {
          filingSequence: application.filingSequence,
          earliestUndecidedFilingSequence: earliest,
        });
      }
      if (command.type === 'ApproveApplication' && application.environment === 'integration' && !application.skipSimulator && !simulatorPassed(state)) {
        refuse('simulator-not-passed', 'an integration application that does not skip the simulator needs the simulator record, imported, with conformance passed there');
      }
      // A reason for taking it early is recorded only when it was taken early.
      const early = outOfOrder ? { outOfOrderReason: outOfOrderReason! } : {};
      const applicationId = command.applicationId;
      if (command.type === 'RejectApplication') {
        return [{ type: 'ApplicationRejected', data: { providerId, applicationId, ...decision, ...early, rejectedAt: command.now } }];
      }
      return [
        { type: 'ApplicationApproved', data: { providerId, applicationId, ...decision, ...early, approvedAt: command.now } },
        { type: 'EnvironmentAccessGranted', data: { providerId, environment: application.environment, supportUntil: supportWindowEnd(application.environment, command.now), grantedAt: command.now } },
      ];
    }
    case 'ExtendSupport': {
      if (command.environment !== 'integration') refuse('support-extension-not-allowed', 'support can only be extended in integration');
      const access = state.access.integration;
      if (!access) refuse('environment-access-missing', 'the provider has no access to integration');
      adminActor(command.by);
      const until = Date.parse(command.supportUntil);
      if (Number.isNaN(until)) refuse('invalid-request', 'supportUntil is not an instant');
      if (until > Date.parse(access.grantedAt) + INTEGRATION_SUPPORT_MAX_DAYS * DAY_MS) {
        refuse('support-extension-not-allowed', `support cannot run past ${INTEGRATION_SUPPORT_MAX_DAYS} days from the grant`, { latestSupportUntil: addDays(access.grantedAt, INTEGRATION_SUPPORT_MAX_DAYS) });
      }
      if (until <= Date.parse(access.supportUntil!)) refuse('support-extension-not-allowed', 'an extension must end later than the current support window');
      return [{ type: 'SupportExtended', data: { providerId, environment: 'integration', supportUntil: new Date(until).toISOString(), by: command.by, extendedAt: command.now } }];
    }
    case 'RegisterCertificate': {
      const certificate = command.certificate;
      if (!state.access[command.environment]) refuse('environment-access-missing', `the provider has no access to ${command.environment}`);
      if (state.certificates[certificate.certificateId]) refuse('conflict', `certificate ${certificate.certificateId} is registered already`);
      if (Object.values(state.certificates).some((c) => !c.revoked && c.thumbprintSha256 === certificate.thumbprintSha256)) {
        refuse('conflict', 'this certificate is registered already');
      }
      const now = Date.parse(command.now);
      if (now < Date.parse(certificate.notBefore)) refuse('certificate-not-yet-valid', `the certificate is valid from ${certificate.notBefore}`);
      if (now >= Date.parse(certificate.notAfter)) refuse('certificate-expired', `the certificate expired at ${certificate.notAfter}`);
      assertStrong(certificate.profile);
      if (command.environment === 'production') assertIntegrationProfile(state, certificate.purpose, certificate.profile);
      return [{ type: 'CertificateRegistered', data: { providerId, environment: command.environment, ...certificate, registeredAt: command.now } }];
    }
    case 'RevokeCertificate': {
      const certificate = state.certificates[command.certificateId];
      if (!certificate) refuse('certificate-unknown', `certificate ${command.certificateId} is not registered`);
      if (certificate.revoked) return [];
      return [{ type: 'CertificateRevoked', data: { providerId, certificateId: command.certificateId, reason: command.reason, revokedAt: command.now } }];
    }
    case 'ObserveConformance': {
      if (command.environment === 'production') refuse('invalid-request', 'conformance is passed in the simulator and in integration');
      const access = environmentAccess({ onboarding: state }, command.environment, command.now);
      if (access !== 'ok') refuse(access, `the provider has no current access to ${command.environment}`);
      if (state.conformance[command.environment]) return [];
      return [{ type: 'ConformanceObserved', data: { providerId, environment: command.environment, item: command.item, at: command.now } }];
    }
    case 'RecordConformancePassed': {
      if (command.environment === 'production') refuse('invalid-request', 'conformance is passed in the simulator and in integration');
      // Conformance counts only inside the support window: the same rule that admits the traffic.
      const access = environmentAccess({ onboarding: state }, command.environment, command.now);
      if (access !== 'ok') refuse(access, `the provider has no current access to ${command.environment}`);
      if (state.conformance[command.environment]) return [];
      return [{ type: 'ConformancePassed', data: { providerId, environment: command.environment, at: command.now } }];
    }
    case 'DecideConnection': {
      if (!state.access.production) refuse('environment-access-missing', 'the provider has no approved production application');
      if (state.connection?.decision === 'approve') refuse('connection-already-decided', 'the connection was approved already');
      if (command.decision === 'approve' && !state.conformance.integration && !state.previous?.conformance.integration) {
        refuse('conformance-missing', 'the provider has not passed conformance in integration');
      }
      return [{ type: 'ConnectionDecided', data: { providerId, decision: command.decision, ...decisionBy(command), decidedAt: command.now } }];
    }
    case 'ActivateProduction': {
      if (state.connection?.decision !== 'approve') refuse('connection-not-decided', 'production needs an approving connection decision');
      adminActor(command.by);
      if (state.activatedAt) return [];
      return [{ type: 'ProductionActivated', data: { providerId, by: command.by, at: command.now } }];
    }
  }
}

/**
 * Whether the provider may be issued tokens in `environment` at `now`: inside its support window
 * in the simulator and integration, activated in production. The token endpoint refuses with the
 * code it returns.
 */
export function environmentAccess(
  state: { onboarding: OnboardingState },
  environment: Environment,
  now: string,
): 'ok' | Extract<DomainErrorCode, 'environment-access-missing' | 'environment-access-expired' | 'production-not-activated'> {
  const { access, activatedAt } = state.onboarding;
  const granted = access[environment];
  if (!granted) return 'environment-access-missing';
  if (environment === 'production') return activatedAt ? 'ok' : 'production-not-activated';
  return granted.supportUntil !== null && Date.parse(now) < Date.parse(granted.supportUntil) ? 'ok' : 'environment-access-expired';
}

function decisionBy(command: { by: string; reason: string }): { by: string; reason: string } {
  adminActor(command.by);
  const reason = command.reason.trim();
  if (!reason) refuse('invalid-request', 'a decision needs a reason');
  return { by: command.by, reason };
}

/** Refuses anyone but a named admin (`admin:<adminId>`). */
export function adminActor(by: string): void {
  if (!/^admin:.+/.test(by)) refuse('invalid-request', 'decisions are made by a named admin (admin:<adminId>)');
}

/** When support in `environment` ends for access granted at `now`; null in production, which has no window. */
export function supportWindowEnd(environment: Environment, now: string): string | null {
  return environment === 'production' ? null : addDays(now, SUPPORT_DAYS[environment]);
}

function addDays(instant: string, days: number): string {
  return new Date(Date.parse(instant) + days * DAY_MS).toISOString();
}

function assertStrong(profile: CertificateProfile): void {
  if (profile.keyType === 'rsa' && !(typeof profile.modulusBits === 'number' && profile.modulusBits >= MIN_RSA_MODULUS_BITS)) {
    refuse('certificate-weak', `RSA keys need at least ${MIN_RSA_MODULUS_BITS} bits`);
  }
  if (profile.keyType === 'ec' && !(KNOWN_CURVES as readonly (string | undefined)[]).includes(profile.curve)) {
    refuse('certificate-weak', `EC keys must use one of ${KNOWN_CURVES.join(', ')}`);
  }
}

/** Conformance passed in the simulator: recorded here, or vouched for by an imported record. */
function simulatorPassed(state: OnboardingState): boolean {
  return Boolean(state.conformance.simulator ?? state.previous?.conformance.simulator);
}

/**
 * A production certificate keeps the profile its purpose had in integration (revoked ones count:
 * they were what was tested). With no integration certificate of that purpose on record there is
 * nothing it could be shown to match, so it is refused the same way.
 */
function assertIntegrationProfile(state: OnboardingState, purpose: CertificatePurpose, profile: CertificateProfile): void {
  // Here or, in a production ledger, as the imported integration record lists them.
  const before = [...Object.values(state.certificates), ...(state.previous?.certificates ?? [])].filter((c) => c.environment === 'integration' && c.purpose === purpose);
  if (!before.some((c) => profileDifferences(c.profile, profile).length === 0)) {
    refuse('certificate-profile-mismatch', `the ${purpose} certificate's profile differs from the one used in integration`, {
      integrationProfiles: before.map((c) => c.profile),
    });
  }
}

/** Member by member, so that the order members were written in does not matter. */
/** The members in which two certificate profiles differ (none: the same profile). */
export function profileDifferences(a: CertificateProfile, b: CertificateProfile): Array<keyof CertificateProfile> {
  const members: Array<keyof CertificateProfile> = ['keyType', 'curve', 'modulusBits', 'signatureAlgorithm'];
  return members.filter((member) => a[member] !== b[member]);
}
