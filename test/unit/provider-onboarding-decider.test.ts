import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { providerDecider, type ProviderCommand } from '../../commands/provider.ts';
import { environmentAccess } from '../../commands/provider-onboarding.ts';
import { DomainError } from '../../commands/errors.ts';
import { providerEventSchemas } from '../../events/provider-schemas.ts';
import {
  onboardingEventTypes,
  type CertificateProfile,
  type CertificateRecord,
  type Environment,
  type ProviderEvent,
  type ProviderRecord,
  type RecordOrigin,
  type TransferredCertificate,
} from '../../events/provider.ts';
import { recordToExport } from '../../commands/provider-import.ts';
import { domainProblem, problemType } from '../../src/http/problems.ts';

const T = '2026-11-22T10:00:00.000Z';
const at = (days: number) => new Date(Date.parse(T) + days * 86_400_000).toISOString();
const ADMIN = 'admin:adm_eva';

const fold = (events: ProviderEvent[]) => events.reduce(providerDecider.evolve, providerDecider.initialState());
/** Given these events, when this command: the events it causes. */
const decide = (given: ProviderEvent[], when: ProviderCommand) => providerDecider.decide(when, fold(given));
/** Given these events, when this command: the code it is refused with (undefined when accepted). */
const refusal = (given: ProviderEvent[], when: ProviderCommand) => {
  try {
    decide(given, when);
  } catch (error) {
    if (error instanceof DomainError) return error.code;
    throw error;
  }
  return undefined;
};
const refusalError = (given: ProviderEvent[], when: ProviderCommand) => {
  try {
    decide(given, when);
  } catch (error) {
    return error as DomainError;
  }
  return expect.unreachable('the command was accepted');
};

const filed = (environment: Environment, applicationId = `app-${environment}`, filingSequence = 5, skipSimulator = false): ProviderEvent => ({
  type: 'ApplicationFiled',
  data: {
    providerId: 'p1',
    applicationId,
    environment,
    owner: { name: 'Tax office', registrationNumber: '0000012345' },
    technicalContact: { name: 'Ola', email: 'ola@tax.example' },
    skipSimulator,
    filingSequence,
    filedAt: T,
  },
});
const fileCommand = (environment: Environment, extra: Partial<Extract<ProviderCommand, { type: 'FileApplication' }>> = {}): ProviderCommand => {
  const { filedAt: _at, ...data } = (filed(environment) as Extract<ProviderEvent, { type: 'ApplicationFiled' }>).data;
  return { type: 'FileApplication', ...data, now: T, ...extra };
};
type Approve = Extract<ProviderCommand, { type: 'ApproveApplication' }>;
const approve = (applicationId: string, extra: Partial<Approve> = {}): Approve => ({
  type: 'ApproveApplication',
  applicationId,
  by: ADMIN,
  reason: 'complete',
  earliestUndecidedFilingSequence: 5,
  now: T,
  ...extra,
});
const approvedEvents = (environment: Environment, grantedAt = T): ProviderEvent[] => [
  filed(environment),
  { type: 'ApplicationApproved', data: { providerId: 'p1', applicationId: `app-${environment}`, by: ADMIN, reason: 'complete', approvedAt: grantedAt } },
  {
    type: 'EnvironmentAccessGranted',
    data: { providerId: 'p1', environment, supportUntil: environment === 'production' ? null : at(environment === 'simulator' ? 21 : 30), grantedAt },
  },
];

const ecProfile = { keyType: 'ec' as const, curve: 'P-256', signatureAlgorithm: 'ecdsa-with-SHA256' };
const rsaProfile = { keyType: 'rsa' as const, modulusBits: 3072, signatureAlgorithm: 'sha256WithRSAEncryption' };
const certificate = (certificateId: string, extra: Partial<CertificateRecord> = {}): CertificateRecord => ({
  certificateId,
  purpose: 'signing',
  thumbprintSha256: certificateId.padEnd(43, 'A').replace(/[^A-Za-z0-9_-]/g, 'A'),
  subject: 'CN=Tax office',
  notBefore: at(-1),
  notAfter: at(365),
  profile: ecProfile,
  publicJwk: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y' },
  ...extra,
});
const registered = (environment: Environment, record: CertificateRecord): ProviderEvent => ({
  type: 'CertificateRegistered',
  data: { providerId: 'p1', environment, ...record, registeredAt: T },
});
const conformance = (environment: Environment): ProviderEvent => ({ type: 'ConformancePassed', data: { providerId: 'p1', environment, at: T } });
const connection = (decision: 'approve' | 'refuse'): ProviderEvent => ({ type: 'ConnectionDecided', data: { providerId: 'p1', decision, by: ADMIN, reason: 'checked', decidedAt: T } });
/** A production ledger's stream of a provider that passed integration (as an import will bring it, later) and was admitted to production. */
const readyForConnection: ProviderEvent[] = [...approvedEvents('integration'), conformance('integration'), ...approvedEvents('production')];

const ISSUER = 'https://integration.ledger.example';
const origin = (environment: Environment, exportId = 'exp-1', exportedAt = T): RecordOrigin => ({ environment, issuer: ISSUER, keyId: 'ledger-k1', exportId, exportedAt });
const transferredCertificate = (environment: Environment, purpose: 'signing' | 'transport', profile: CertificateProfile, revoked = false): TransferredCertificate => ({
  environment,
  purpose,
  thumbprintSha256: `${environment}${purpose}`.padEnd(43, 'A'),
  subject: 'CN=Tax office',
  notBefore: at(-30),
  notAfter: at(300),
  profile,
  revoked,
});
/** What a ledger of `environment` exports of p1: conformance passed there, an application approved, an RSA signing certificate. */
const exportedRecord = (environment: Environment, extra: Partial<ProviderRecord> = {}): ProviderRecord => ({
  environment,
  provider: { name: 'Tax office', returnUrls: ['https://tax.example/back'] },
  conformance: { [environment]: T },
  applications: [{ applicationId: `app-${environment}`, environment, filingSequence: 3, skipSimulator: false, filedAt: T, status: 'approved', decidedBy: ADMIN, decidedAt: T }],
  certificates: environment === 'integration' ? [transferredCertificate('integration', 'signing', rsaProfile)] : [],
  ...extra,
});
type Import = Extract<ProviderCommand, { type: 'ImportProviderRecord' }>;
/** This ledger (of the environment after `from`) imports p1's record. */
const importCommand = (from: Environment, extra: Partial<Import> = {}): Import => ({
  type: 'ImportProviderRecord',
  providerId: 'p1',
  environment: from === 'simulator' ? 'integration' : 'production',
  record: exportedRecord(from),
  from: origin(from),
  by: ADMIN,
  now: at(1),
  ...extra,
});
/** The event an import of `from`'s record records. */
const recordImported = (from: Environment, extra: Partial<ProviderRecord> = {}, exportId = 'exp-1', exportedAt = T): ProviderEvent => {
  const { environment: _e, ...record } = exportedRecord(from, extra);
  return { type: 'ProviderRecordImported', data: { providerId: 'p1', from: origin(from, exportId, exportedAt), ...record, by: ADMIN, importedAt: at(1) } };
};
const registration: ProviderEvent = { type: 'ProviderRegistered', data: { providerId: 'p1', name: 'Tax office', keys: [], returnUrls: ['https://tax.example/back'], registeredAt: at(1) } };

describe('filing an application', () => {
  it('records the application, opening the stream of a provider not registered yet', () => {
    expect(decide([], fileCommand('simulator'))).toEqual([filed('simulator')]);
    expect(fold([filed('simulator')])).toMatchObject({ exists: false, providerId: 'p1', onboarding: { applications: { 'app-simulator': { status: 'filed', filingSequence: 5 } } } });
  });
  it('lets an integration application skip the simulator, and records that it did', () => {
    const [event] = decide([], fileCommand('integration', { skipSimulator: true }));
    expect(event).toMatchObject({ type: 'ApplicationFiled', data: { environment: 'integration', skipSimulator: true } });
  });
  it('keeps the provider state as it was: registration after filing keeps the application', () => {
    const registration: ProviderEvent = { type: 'ProviderRegistered', data: { providerId: 'p1', name: 'P', keys: [], returnUrls: [], registeredAt: T } };
    expect(fold([filed('simulator'), registration]).onboarding.applications).toHaveProperty('app-simulator');
  });
  it('is refused: the same application twice, a second one waiting in the same environment', () => {
    expect(refusal([filed('simulator')], fileCommand('simulator'))).toBe('conflict');
    expect(refusal([filed('simulator')], fileCommand('simulator', { applicationId: 'other' }))).toBe('conflict');
    expect(refusal([filed('simulator')], fileCommand('integration', { applicationId: 'other' }))).toBeUndefined();
  });
  it('is refused: skipping the simulator outside integration, a filing sequence that is no sequence, another provider\'s id', () => {
    expect(refusal([], fileCommand('production', { skipSimulator: true }))).toBe('invalid-request');
    expect(refusal([], fileCommand('simulator', { filingSequence: 0 }))).toBe('invalid-request');
    expect(refusal([], fileCommand('simulator', { filingSequence: 1.5 }))).toBe('invalid-request');
    expect(refusal([filed('simulator')], fileCommand('integration', { providerId: 'p2', applicationId: 'x' }))).toBe('invalid-request');
  });
});

describe('deciding an application', () => {
  it('approval grants access with the environment\'s support window: 21 days in the simulator, 30 in integration, none in production', () => {
    expect(decide([filed('simulator')], approve('app-simulator'))).toEqual(approvedEvents('simulator').slice(1));
    expect(decide([filed('integration', 'app-integration', 5, true)], approve('app-integration'))[1]).toMatchObject({ type: 'EnvironmentAccessGranted', data: { environment: 'integration', supportUntil: at(30) } });
    expect(decide([filed('production')], approve('app-production'))[1]).toMatchObject({ type: 'EnvironmentAccessGranted', data: { environment: 'production', supportUntil: null } });
  });
  it('approves an integration application that does not skip the simulator only with the simulator record imported, conformance passed there', () => {
    expect(refusal([filed('integration')], approve('app-integration'))).toBe('simulator-not-passed');
    expect(refusal([recordImported('simulator', { conformance: {} }), filed('integration')], approve('app-integration'))).toBe('simulator-not-passed');
    expect(decide([recordImported('simulator'), filed('integration')], approve('app-integration'))[1]).toMatchObject({ type: 'EnvironmentAccessGranted', data: { environment: 'integration' } });
    // Skipping the simulator is the application's flag, recorded; no import is needed then.
    expect(refusal([filed('integration', 'app-integration', 5, true)], approve('app-integration'))).toBeUndefined();
    // Rejecting needs nothing.
    expect(refusal([filed('integration')], { ...approve('app-integration'), type: 'RejectApplication' })).toBeUndefined();
  });
  it('rejection names the admin and the reason, and grants nothing', () => {
    expect(decide([filed('simulator')], { ...approve('app-simulator', { reason: ' incomplete ' }), type: 'RejectApplication' })).toEqual([
      { type: 'ApplicationRejected', data: { providerId: 'p1', applicationId: 'app-simulator', by: ADMIN, reason: 'incomplete', rejectedAt: T } },
    ]);
  });
  it('refuses an application that was not filed, and one decided already', () => {
    expect(refusal([], approve('app-simulator'))).toBe('application-not-filed');
    expect(refusal([filed('simulator')], approve('nope'))).toBe('application-not-filed');
    expect(refusal(approvedEvents('simulator'), approve('app-simulator'))).toBe('application-already-decided');
    expect(refusal(approvedEvents('simulator'), { ...approve('app-simulator'), type: 'RejectApplication' })).toBe('application-already-decided');
  });
  it('refuses a decision with no reason or by someone who is not a named admin', () => {
    expect(refusal([filed('simulator')], approve('app-simulator', { reason: '  ' }))).toBe('invalid-request');
    expect(refusal([filed('simulator')], approve('app-simulator', { by: 'p1' }))).toBe('invalid-request');
  });
  it('refuses to decide out of filing order without a reason, naming both sequences', () => {
    const error = refusalError([filed('simulator')], approve('app-simulator', { earliestUndecidedFilingSequence: 3 }));
    expect(error.code).toBe('application-out-of-order');
    expect(error.details).toEqual({ filingSequence: 5, earliestUndecidedFilingSequence: 3 });
    expect(refusal([filed('simulator')], { ...approve('app-simulator', { earliestUndecidedFilingSequence: 3, outOfOrderReason: ' ' }), type: 'RejectApplication' })).toBe('application-out-of-order');
  });
  it('decides out of order with a reason, and records it; in order, no reason is recorded', () => {
    const [early] = decide([filed('simulator')], approve('app-simulator', { earliestUndecidedFilingSequence: 3, outOfOrderReason: 'urgent public service' }));
    expect(early).toMatchObject({ type: 'ApplicationApproved', data: { outOfOrderReason: 'urgent public service' } });
    const [inOrder] = decide([filed('simulator')], approve('app-simulator', { earliestUndecidedFilingSequence: 5, outOfOrderReason: 'not needed' }));
    expect(inOrder!.data).not.toHaveProperty('outOfOrderReason');
    expect(refusal([filed('simulator')], approve('app-simulator', { earliestUndecidedFilingSequence: null }))).toBeUndefined();
  });
});

describe('extending support', () => {
  const extend = (supportUntil: string, environment: Environment = 'integration'): ProviderCommand => ({ type: 'ExtendSupport', environment, supportUntil, by: ADMIN, now: at(20) });
  it('extends integration support, up to 90 days from the grant', () => {
    expect(decide(approvedEvents('integration'), extend(at(90)))).toEqual([
      { type: 'SupportExtended', data: { providerId: 'p1', environment: 'integration', supportUntil: at(90), by: ADMIN, extendedAt: at(20) } },
    ]);
    const extended = fold([...approvedEvents('integration'), ...decide(approvedEvents('integration'), extend(at(60)))]);
    expect(extended.onboarding.access.integration).toEqual({ grantedAt: T, supportUntil: at(60) });
  });
  it('is refused past 90 days, not later than the current window, or outside integration', () => {
    expect(refusal(approvedEvents('integration'), extend(at(90.001)))).toBe('support-extension-not-allowed');
    expect(refusal(approvedEvents('integration'), extend(at(30)))).toBe('support-extension-not-allowed');
    expect(refusal(approvedEvents('simulator'), extend(at(30), 'simulator'))).toBe('support-extension-not-allowed');
    expect(refusal(approvedEvents('production'), extend(at(30), 'production'))).toBe('support-extension-not-allowed');
  });
  it('is refused without integration access, or with a date that is no date', () => {
    expect(refusal([filed('integration')], extend(at(60)))).toBe('environment-access-missing');
    expect(refusal(approvedEvents('integration'), extend('soon'))).toBe('invalid-request');
  });
});

describe('certificates', () => {
  const register = (environment: Environment, record: CertificateRecord, now = T): ProviderCommand => ({ type: 'RegisterCertificate', environment, certificate: record, now });
  it('registers a certificate in an environment the provider has access to', () => {
    expect(decide(approvedEvents('integration'), register('integration', certificate('c1')))).toEqual([registered('integration', certificate('c1'))]);
  });
  it('is refused without access, twice, or for a thumbprint registered already', () => {
    expect(refusal([filed('integration')], register('integration', certificate('c1')))).toBe('environment-access-missing');
    const given = [...approvedEvents('integration'), registered('integration', certificate('c1'))];
    expect(refusal(given, register('integration', certificate('c1')))).toBe('conflict');
    expect(refusal(given, register('integration', certificate('c2', { thumbprintSha256: certificate('c1').thumbprintSha256 })))).toBe('conflict');
  });
  it('is refused when expired or not valid yet', () => {
    expect(refusal(approvedEvents('integration'), register('integration', certificate('c1', { notAfter: T })))).toBe('certificate-expired');
    expect(refusal(approvedEvents('integration'), register('integration', certificate('c1', { notBefore: at(1) })))).toBe('certificate-not-yet-valid');
  });
  it('is refused when weak: RSA below 2048 bits or without a size, an unknown curve', () => {
    expect(refusal(approvedEvents('integration'), register('integration', certificate('c1', { profile: { ...rsaProfile, modulusBits: 1024 } })))).toBe('certificate-weak');
    expect(refusal(approvedEvents('integration'), register('integration', certificate('c1', { profile: { keyType: 'rsa', signatureAlgorithm: 'sha256WithRSAEncryption' } })))).toBe('certificate-weak');
    expect(refusal(approvedEvents('integration'), register('integration', certificate('c1', { profile: { ...ecProfile, curve: 'secp256k1' } })))).toBe('certificate-weak');
    expect(refusal(approvedEvents('integration'), register('integration', certificate('c1', { profile: { ...rsaProfile, modulusBits: 2048 } })))).toBeUndefined();
  });
  it('in production, takes a certificate whose profile is the one its purpose had in integration, member by member', () => {
    const given = [...readyForConnection, registered('integration', certificate('c1', { profile: rsaProfile }))];
    const sameMembersOtherOrder = { signatureAlgorithm: 'sha256WithRSAEncryption', modulusBits: 3072, keyType: 'rsa' as const };
    expect(decide(given, register('production', certificate('c2', { profile: sameMembersOtherOrder })))).toHaveLength(1);
  });
  it('in production, refuses a different or weaker profile, one matching only another purpose, or one with nothing to match', () => {
    const given = [...readyForConnection, registered('integration', certificate('c1', { profile: rsaProfile }))];
    expect(refusal(given, register('production', certificate('c2', { profile: { ...rsaProfile, modulusBits: 2048 } })))).toBe('certificate-profile-mismatch');
    expect(refusal(given, register('production', certificate('c2', { profile: ecProfile })))).toBe('certificate-profile-mismatch');
    expect(refusal(given, register('production', certificate('c2', { purpose: 'transport', profile: rsaProfile })))).toBe('certificate-profile-mismatch');
    expect(refusal(readyForConnection, register('production', certificate('c2')))).toBe('certificate-profile-mismatch');
    expect(refusalError(given, register('production', certificate('c2', { profile: ecProfile }))).details).toEqual({ integrationProfiles: [rsaProfile] });
  });
  it('in production, holds a certificate to the integration profiles the imported record lists (none registered here)', () => {
    const given = [recordImported('integration'), ...approvedEvents('production')];
    expect(decide(given, register('production', certificate('c2', { profile: rsaProfile })))).toHaveLength(1);
    expect(refusal(given, register('production', certificate('c2', { profile: { ...rsaProfile, modulusBits: 2048 } })))).toBe('certificate-profile-mismatch');
    expect(refusal(given, register('production', certificate('c2', { purpose: 'transport', profile: rsaProfile })))).toBe('certificate-profile-mismatch');
    expect(refusalError(given, register('production', certificate('c2', { profile: ecProfile }))).details).toEqual({ integrationProfiles: [rsaProfile] });
    // Certificates of the simulator listed in a record do not count for production.
    const simulatorOnly = [recordImported('integration', { certificates: [transferredCertificate('simulator', 'signing', rsaProfile)] }), ...approvedEvents('production')];
    expect(refusal(simulatorOnly, register('production', certificate('c2', { profile: rsaProfile })))).toBe('certificate-profile-mismatch');
  });
  it('revokes once, and knows no certificate it never registered', () => {
    const given = [...approvedEvents('integration'), registered('integration', certificate('c1'))];
    const revoke: ProviderCommand = { type: 'RevokeCertificate', certificateId: 'c1', reason: 'key compromised', now: T };
    const revoked: ProviderEvent = { type: 'CertificateRevoked', data: { providerId: 'p1', certificateId: 'c1', reason: 'key compromised', revokedAt: T } };
    expect(decide(given, revoke)).toEqual([revoked]);
    expect(decide([...given, revoked], revoke)).toEqual([]);
    expect(refusal(given, { ...revoke, certificateId: 'nope' })).toBe('certificate-unknown');
    // A revoked certificate's thumbprint may be registered again under a new id (reissued).
    expect(refusal([...given, revoked], register('integration', certificate('c9', { thumbprintSha256: certificate('c1').thumbprintSha256 })))).toBeUndefined();
  });
});

describe('conformance', () => {
  const pass = (environment: Environment, now = at(10)): ProviderCommand => ({ type: 'RecordConformancePassed', environment, now });
  it('is recorded once, inside the support window', () => {
    expect(decide(approvedEvents('integration'), pass('integration'))).toEqual([{ type: 'ConformancePassed', data: { providerId: 'p1', environment: 'integration', at: at(10) } }]);
    expect(decide([...approvedEvents('integration'), conformance('integration')], pass('integration'))).toEqual([]);
  });
  it('is refused without access, after the window, and in production', () => {
    expect(refusal([filed('integration')], pass('integration'))).toBe('environment-access-missing');
    expect(refusal(approvedEvents('integration'), pass('integration', at(31)))).toBe('environment-access-expired');
    expect(refusal(approvedEvents('production'), pass('production'))).toBe('invalid-request');
  });
  const observe = (environment: Environment, now = at(5)): ProviderCommand => ({ type: 'ObserveConformance', environment, item: 'results-read', now });
  it('notes what a read showed, inside the window, until passed', () => {
    expect(decide(approvedEvents('simulator'), observe('simulator'))).toEqual([observed('simulator')]);
    expect(decide([...approvedEvents('simulator'), conformance('simulator')], observe('simulator'))).toEqual([]);
    expect(refusal([filed('integration')], observe('integration'))).toBe('environment-access-missing');
    expect(refusal(approvedEvents('integration'), observe('integration', at(31)))).toBe('environment-access-expired');
    expect(refusal(approvedEvents('production'), observe('production'))).toBe('invalid-request');
  });
});
const observed = (environment: Environment): ProviderEvent => ({ type: 'ConformanceObserved', data: { providerId: 'p1', environment, item: 'results-read', at: at(5) } });

describe('connection decision and production activation', () => {
  const decideConnection = (decision: 'approve' | 'refuse'): Extract<ProviderCommand, { type: 'DecideConnection' }> => ({ type: 'DecideConnection', decision, by: ADMIN, reason: 'checked', now: T });
  const activate: ProviderCommand = { type: 'ActivateProduction', by: ADMIN, now: T };
  it('approves the connection of a provider that passed integration and was admitted to production', () => {
    expect(decide(readyForConnection, decideConnection('approve'))).toEqual([connection('approve')]);
  });
  it('refuses to approve without integration conformance, unless the imported integration record vouches for it', () => {
    const withoutConformance = [...approvedEvents('integration'), ...approvedEvents('production')];
    expect(refusal(withoutConformance, decideConnection('approve'))).toBe('conformance-missing');
    expect(refusal([...withoutConformance, conformance('simulator')], decideConnection('approve'))).toBe('conformance-missing');
    const production = [...approvedEvents('production')];
    expect(decide([recordImported('integration'), ...production], decideConnection('approve'))).toEqual([connection('approve')]);
    // A record that vouches for the simulator only is not enough.
    expect(refusal([recordImported('integration', { conformance: { simulator: T } }), ...production], decideConnection('approve'))).toBe('conformance-missing');
    // Refusing needs no conformance.
    expect(decide(withoutConformance, decideConnection('refuse'))).toEqual([connection('refuse')]);
  });
  it('refuses a decision without a production application approved, or once approved; a refusal may be decided again', () => {
    expect(refusal([...approvedEvents('integration'), conformance('integration')], decideConnection('approve'))).toBe('environment-access-missing');
    expect(refusal([...readyForConnection, connection('approve')], decideConnection('refuse'))).toBe('connection-already-decided');
    expect(decide([...readyForConnection, connection('refuse')], decideConnection('approve'))).toEqual([connection('approve')]);
    expect(refusal(readyForConnection, { ...decideConnection('approve'), reason: '' })).toBe('invalid-request');
  });
  it('activates production once, after an approving connection decision only', () => {
    expect(decide([...readyForConnection, connection('approve')], activate)).toEqual([{ type: 'ProductionActivated', data: { providerId: 'p1', by: ADMIN, at: T } }]);
    const activated: ProviderEvent = { type: 'ProductionActivated', data: { providerId: 'p1', by: ADMIN, at: T } };
    expect(decide([...readyForConnection, connection('approve'), activated], activate)).toEqual([]);
    expect(refusal(readyForConnection, activate)).toBe('connection-not-decided');
    expect(refusal([...readyForConnection, connection('refuse')], activate)).toBe('connection-not-decided');
    expect(refusal([...readyForConnection, connection('approve')], { ...activate, by: 'system' })).toBe('invalid-request');
  });
});

describe('importing the previous environment\'s record', () => {
  it('registers a provider this ledger does not know, without keys, then records the import and where it came from', () => {
    const events = decide([], importCommand('integration'));
    expect(events).toEqual([registration, recordImported('integration')]);
    const state = fold(events);
    expect(state).toMatchObject({ exists: true, name: 'Tax office', keys: {}, returnUrls: ['https://tax.example/back'] });
    expect(state.onboarding.previous).toEqual({
      ...origin('integration'),
      conformance: { integration: T },
      applications: exportedRecord('integration').applications,
      certificates: exportedRecord('integration').certificates,
      importedAt: at(1),
    });
    // Nothing of the previous environment becomes this ledger's own.
    expect(state.onboarding).toMatchObject({ applications: {}, access: {}, certificates: {}, conformance: {} });
  });
  it('records only the import for a provider registered here already', () => {
    const known: ProviderEvent = { type: 'ProviderRegistered', data: { providerId: 'p1', name: 'Local name', keys: [], returnUrls: [], registeredAt: T } };
    expect(decide([known], importCommand('simulator'))).toEqual([recordImported('simulator')]);
    expect(fold([known, recordImported('simulator')]).name).toBe('Local name');
  });
  it('imports each export once: the same one again records nothing; an older one after a newer is refused; a newer one supersedes', () => {
    const given = [registration, recordImported('integration')];
    expect(decide(given, importCommand('integration'))).toEqual([]);
    expect(refusal(given, importCommand('integration', { from: origin('integration', 'exp-0', at(-1)) }))).toBe('conflict');
    const newer = decide(given, importCommand('integration', { from: origin('integration', 'exp-2', at(1)) }));
    expect(newer).toHaveLength(1);
    expect(fold([...given, ...newer]).onboarding.previous).toMatchObject({ exportId: 'exp-2', exportedAt: at(1) });
  });
  it('takes records from the environment just before this one only, and none in the simulator', () => {
    const error = refusalError([], importCommand('simulator', { environment: 'production' }));
    expect(error.code).toBe('import-record-invalid');
    expect(error.details).toEqual({ reason: 'environment', expected: 'integration' });
    // A record claiming one environment under an origin of another.
    expect(refusal([], importCommand('integration', { record: exportedRecord('simulator') }))).toBe('import-record-invalid');
    expect(refusal([], importCommand('integration', { environment: 'simulator' }))).toBe('record-transfer-not-allowed');
  });
  it('is refused: by someone who is not a named admin, for another provider\'s stream, a record vouching for no conformance', () => {
    expect(refusal([], importCommand('integration', { by: 'system:x' }))).toBe('invalid-request');
    expect(refusal([registration], importCommand('integration', { providerId: 'p2' }))).toBe('invalid-request');
    expect(refusal([], importCommand('integration', { record: exportedRecord('integration', { conformance: { simulator: T } }) }))).toBe('conformance-missing');
  });
});

describe('the record a ledger exports', () => {
  it('is refused before conformance passed here, for a provider never registered, and in production', () => {
    expect(() => recordToExport(fold([registration, ...approvedEvents('simulator')]), 'simulator')).toThrow(expect.objectContaining({ code: 'conformance-missing' }));
    // Conformance of another environment is not this ledger's to pass on.
    expect(() => recordToExport(fold([registration, ...approvedEvents('integration'), conformance('simulator')]), 'integration')).toThrow(expect.objectContaining({ code: 'conformance-missing' }));
    expect(() => recordToExport(fold([]), 'simulator')).toThrow(expect.objectContaining({ code: 'not-found' }));
    expect(() => recordToExport(fold(readyForConnection), 'production')).toThrow(expect.objectContaining({ code: 'record-transfer-not-allowed' }));
  });
  it('passes on what was passed and decided here, and what was imported before', () => {
    const given = [registration, recordImported('simulator'), ...approvedEvents('integration'), registered('integration', certificate('c1', { profile: rsaProfile })), conformance('integration')];
    expect(recordToExport(fold(given), 'integration')).toEqual({
      environment: 'integration',
      provider: { name: 'Tax office', returnUrls: ['https://tax.example/back'] },
      conformance: { simulator: T, integration: T },
      applications: [
        ...exportedRecord('simulator').applications,
        { applicationId: 'app-integration', environment: 'integration', filingSequence: 5, skipSimulator: false, filedAt: T, status: 'approved', decidedBy: ADMIN, decidedAt: T },
      ],
      certificates: [{ environment: 'integration', purpose: 'signing', thumbprintSha256: certificate('c1').thumbprintSha256, subject: 'CN=Tax office', notBefore: at(-1), notAfter: at(365), profile: rsaProfile, revoked: false }],
      importedFrom: { issuer: ISSUER, environment: 'simulator', exportId: 'exp-1' },
    });
  });
});

describe('environment access, as the token endpoint will check it', () => {
  it('simulator and integration: inside the support window only', () => {
    expect(environmentAccess(fold([]), 'simulator', T)).toBe('environment-access-missing');
    expect(environmentAccess(fold([filed('simulator')]), 'simulator', T)).toBe('environment-access-missing');
    expect(environmentAccess(fold(approvedEvents('simulator')), 'simulator', at(20))).toBe('ok');
    expect(environmentAccess(fold(approvedEvents('simulator')), 'simulator', at(21))).toBe('environment-access-expired');
    expect(environmentAccess(fold(approvedEvents('simulator')), 'integration', at(1))).toBe('environment-access-missing');
    const extended: ProviderEvent = { type: 'SupportExtended', data: { providerId: 'p1', environment: 'integration', supportUntil: at(90), by: ADMIN, extendedAt: at(1) } };
    expect(environmentAccess(fold(approvedEvents('integration')), 'integration', at(31))).toBe('environment-access-expired');
    expect(environmentAccess(fold([...approvedEvents('integration'), extended]), 'integration', at(31))).toBe('ok');
  });
  it('production: activated, not merely admitted', () => {
    expect(environmentAccess(fold(readyForConnection), 'production', T)).toBe('production-not-activated');
    expect(environmentAccess(fold([...readyForConnection, connection('approve')]), 'production', T)).toBe('production-not-activated');
    const activated: ProviderEvent = { type: 'ProductionActivated', data: { providerId: 'p1', by: ADMIN, at: T } };
    expect(environmentAccess(fold([...readyForConnection, connection('approve'), activated]), 'production', at(1000))).toBe('ok');
  });
});

describe('onboarding events and refusals at the edges', () => {
  const ajv = new Ajv({ strict: true });
  it('every event the specs produce matches its schema, and a schema refuses what it should', () => {
    const produced: ProviderEvent[] = [
      ...approvedEvents('simulator'),
      ...approvedEvents('production'),
      ...decide([filed('simulator')], approve('app-simulator', { earliestUndecidedFilingSequence: 1, outOfOrderReason: 'why' })),
      ...decide([filed('simulator')], { ...approve('app-simulator'), type: 'RejectApplication' }),
      { type: 'SupportExtended', data: { providerId: 'p1', environment: 'integration', supportUntil: at(90), by: ADMIN, extendedAt: T } },
      registered('integration', certificate('c1', { profile: rsaProfile })),
      { type: 'CertificateRevoked', data: { providerId: 'p1', certificateId: 'c1', reason: 'r', revokedAt: T } },
      conformance('integration'),
      observed('integration'),
      connection('approve'),
      { type: 'ProductionActivated', data: { providerId: 'p1', by: ADMIN, at: T } },
      ...decide([], importCommand('integration', { record: exportedRecord('integration', { importedFrom: { issuer: 'https://simulator.example', environment: 'simulator', exportId: 'exp-0' } }) })),
    ];
    expect(new Set(produced.map((e) => e.type))).toEqual(new Set([...onboardingEventTypes, 'ProviderRegistered']));
    for (const event of produced) expect(ajv.validate(providerEventSchemas[event.type], event.data), `${event.type}: ${ajv.errorsText()}`).toBe(true);
    const schema = (type: keyof typeof providerEventSchemas) => (data: unknown) => ajv.validate(providerEventSchemas[type], data);
    expect(schema('ApplicationFiled')({ ...filed('simulator').data, environment: 'staging' })).toBe(false);
    expect(schema('ApplicationFiled')({ ...filed('simulator').data, filingSequence: 0 })).toBe(false);
    expect(schema('ApplicationApproved')({ providerId: 'p1', applicationId: 'a', by: 'p1', reason: 'r', approvedAt: T })).toBe(false);
    expect(schema('SupportExtended')({ providerId: 'p1', environment: 'simulator', supportUntil: T, by: ADMIN, extendedAt: T })).toBe(false);
    expect(schema('CertificateRegistered')({ ...registered('integration', certificate('c1')).data, thumbprintSha256: 'AB' })).toBe(false);
    expect(schema('ConnectionDecided')({ ...connection('approve').data, decision: 'maybe' })).toBe(false);
    const imported = recordImported('integration').data as Record<string, unknown>;
    expect(schema('ProviderRecordImported')(imported)).toBe(true);
    expect(schema('ProviderRecordImported')({ ...imported, conformance: { staging: T } })).toBe(false);
    expect(schema('ProviderRecordImported')({ ...imported, certificates: [{ ...transferredCertificate('integration', 'signing', rsaProfile), privateKey: 'x' }] })).toBe(false);
  });
  it('each onboarding refusal answers its own problem type', () => {
    for (const code of ['application-out-of-order', 'environment-access-expired', 'certificate-profile-mismatch', 'connection-not-decided', 'simulator-not-passed', 'import-record-invalid', 'record-transfer-not-allowed'] as const) {
      const problem = domainProblem(new DomainError(code, 'x'));
      expect(problemType(problem.name)).toBe(`urn:problem:act-ledger:${code}`);
    }
    expect(domainProblem(new DomainError('application-out-of-order', 'x')).status).toBe(409);
    expect(domainProblem(new DomainError('production-not-activated', 'x')).status).toBe(403);
    expect(domainProblem(new DomainError('simulator-not-passed', 'x')).status).toBe(409);
    expect(domainProblem(new DomainError('import-signature-invalid', 'x')).status).toBe(422);
  });
});
