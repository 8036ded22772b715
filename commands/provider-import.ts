import { NEXT_ENVIRONMENT, PREVIOUS_ENVIRONMENT, type Environment, type ProviderEvent, type ProviderRecord, type RecordOrigin } from '../events/provider.ts';
import { refuse } from './errors.ts';
import { adminActor, type OnboardingState } from './provider-onboarding.ts';

/** What of a provider's state an import and an export read (provider.ts's ProviderState has these). */
export interface ProviderStateForTransfer {
  exists: boolean;
  providerId: string;
  name: string;
  returnUrls: string[];
  onboarding: OnboardingState;
}

/**
 * Passing a provider on: each environment runs a ledger of its own, and the next one cannot read
 * the previous one's log. The previous ledger exports what it knows of the provider (`recordToExport`),
 * signed; the next one, having verified the signature (the application layer's part), imports it
 * here. The record vouches for what was passed there; the import says where it came from.
 */

export interface ImportProviderRecord {
  type: 'ImportProviderRecord';
  providerId: string;
  /** This ledger's environment: the record must come from the one just before it. */
  environment: Environment;
  record: ProviderRecord;
  from: RecordOrigin;
  /** The admin as its actor, `admin:<adminId>`. */
  by: string;
  now: string;
}

/** The events an import causes: the provider's registration first when this ledger does not know it yet. */
export function decideImport(command: ImportProviderRecord, state: ProviderStateForTransfer): ProviderEvent[] {
  const expected = previousEnvironment(command.environment);
  if (!expected) refuse('record-transfer-not-allowed', `records are imported in integration and production, not in ${command.environment}`);
  if (command.from.environment !== expected || command.record.environment !== expected) {
    refuse('import-record-invalid', `a ${command.environment} ledger imports records from ${expected} only`, { reason: 'environment', expected });
  }
  if (state.providerId && state.providerId !== command.providerId) refuse('invalid-request', 'the record names another provider than its stream');
  adminActor(command.by);
  const previous = state.onboarding.previous;
  // Each export is imported once: the same one again changes nothing.
  if (previous?.exportId === command.from.exportId) return [];
  if (previous && Date.parse(command.from.exportedAt) <= Date.parse(previous.exportedAt)) {
    refuse('conflict', `a record exported later (${previous.exportedAt}) was imported already`, { importedExportId: previous.exportId });
  }
  const { record } = command;
  if (!record.conformance[expected]) refuse('conformance-missing', `the record vouches for no conformance passed in ${expected}`);
  const registration: ProviderEvent[] = state.exists
    ? []
    : [
        {
          type: 'ProviderRegistered',
          // Outside the simulator a provider signs with its certificates, registered here: no keys come with it.
          data: { providerId: command.providerId, name: record.provider.name, keys: [], returnUrls: record.provider.returnUrls, registeredAt: command.now },
        },
      ];
  return [
    ...registration,
    {
      type: 'ProviderRecordImported',
      data: {
        providerId: command.providerId,
        from: command.from,
        provider: record.provider,
        conformance: record.conformance,
        applications: record.applications,
        certificates: record.certificates,
        ...(record.importedFrom ? { importedFrom: record.importedFrom } : {}),
        by: command.by,
        importedAt: command.now,
      },
    },
  ];
}

/**
 * What this ledger (of `environment`) passes on of the provider: its own applications, certificates
 * and conformance, with what it had imported itself. Only from the simulator and integration, and
 * only once the provider passed conformance here.
 */
export function recordToExport(state: ProviderStateForTransfer, environment: Environment): ProviderRecord {
  if (!nextEnvironment(environment)) refuse('record-transfer-not-allowed', `records are exported from the simulator and integration, not from ${environment}`);
  if (!state.exists) refuse('not-found', 'provider not found');
  const { onboarding } = state;
  if (!onboarding.conformance[environment]) refuse('conformance-missing', `the provider has not passed conformance in ${environment}`);
  const previous = onboarding.previous;
  const ownApplications = Object.entries(onboarding.applications).map(([applicationId, a]) => ({
    applicationId,
    environment: a.environment,
    filingSequence: a.filingSequence,
    skipSimulator: a.skipSimulator,
    filedAt: a.filedAt,
    status: a.status,
    ...(a.decidedBy !== undefined ? { decidedBy: a.decidedBy } : {}),
    ...(a.decidedAt !== undefined ? { decidedAt: a.decidedAt } : {}),
  }));
  const ownCertificates = Object.values(onboarding.certificates).map((c) => ({
    environment: c.environment,
    purpose: c.purpose,
    thumbprintSha256: c.thumbprintSha256,
    subject: c.subject,
    notBefore: c.notBefore,
    notAfter: c.notAfter,
    profile: c.profile,
    revoked: c.revoked,
  }));
  return {
    environment,
    provider: { name: state.name, returnUrls: state.returnUrls },
    // What was vouched for before, then what was passed here (which wins for this environment).
    conformance: { ...previous?.conformance, ...onboarding.conformance },
    applications: [...(previous?.applications ?? []), ...ownApplications.sort((a, b) => a.filingSequence - b.filingSequence)],
    certificates: [...(previous?.certificates ?? []), ...ownCertificates],
    ...(previous ? { importedFrom: { issuer: previous.issuer, environment: previous.environment, exportId: previous.exportId } } : {}),
  };
}

/** The environment whose records a ledger of `environment` imports, if any. */
export function previousEnvironment(environment: Environment): Environment | undefined {
  return (PREVIOUS_ENVIRONMENT as Partial<Record<Environment, Environment>>)[environment];
}

/** The environment a ledger of `environment` exports its records to, if any. */
export function nextEnvironment(environment: Environment): Environment | undefined {
  return (NEXT_ENVIRONMENT as Partial<Record<Environment, Environment>>)[environment];
}
