import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { providerDecider, type ProviderCommand } from '../../commands/provider.ts';
import { environmentAccess } from '../../commands/provider-onboarding.ts';
import { DomainError } from '../../commands/errors.ts';
import { providerEventSchemas } from '../../events/provider-schemas.ts';
import { onboardingEventTypes, type CertificateRecord, type Environment, type ProviderEvent } from '../../events/provider.ts';
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

const filed = (environment: Environment, applicationId = `app-${environment}`, filingSequence = 5): ProviderEvent => ({
  type: 'ApplicationFiled',
  data: {
    providerId: 'p1',
    applicationId,
    environment,
    owner: { name: 'Tax office', registrationNumber: '0000012345' },
    technicalContact: { name: 'Ola', email: 'ola@tax.example' },
    skipSimulator: false,
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
    expect(decide([filed('integration')], approve('app-integration'))[1]).toMatchObject({ type: 'EnvironmentAccessGranted', data: { environment: 'integration', supportUntil: at(30) } });
    expect(decide([filed('production')], approve('app-production'))[1]).toMatchObject({ type: 'EnvironmentAccessGranted', data: { environment: 'production', supportUntil: null } });
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
});

describe('connection decision and production activation', () => {
  const decideConnection = (decision: 'approve' | 'refuse'): Extract<ProviderCommand, { type: 'DecideConnection' }> => ({ type: 'DecideConnection', decision, by: ADMIN, reason: 'checked', now: T });
  const activate: ProviderCommand = { type: 'ActivateProduction', by: ADMIN, now: T };
  it('approves the connection of a provider that passed integration and was admitted to production', () => {
    expect(decide(readyForConnection, decideConnection('approve'))).toEqual([connection('approve')]);
  });
  it('refuses to approve without integration conformance, unless the record was imported', () => {
    const withoutConformance = [...approvedEvents('integration'), ...approvedEvents('production')];
    expect(refusal(withoutConformance, decideConnection('approve'))).toBe('conformance-missing');
    expect(refusal([...withoutConformance, conformance('simulator')], decideConnection('approve'))).toBe('conformance-missing');
    const imported = fold(withoutConformance);
    imported.onboarding.imported = true;
    expect(providerDecider.decide(decideConnection('approve'), imported)).toEqual([connection('approve')]);
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
      connection('approve'),
      { type: 'ProductionActivated', data: { providerId: 'p1', by: ADMIN, at: T } },
    ];
    expect(new Set(produced.map((e) => e.type))).toEqual(new Set(onboardingEventTypes));
    for (const event of produced) expect(ajv.validate(providerEventSchemas[event.type], event.data), `${event.type}: ${ajv.errorsText()}`).toBe(true);
    const schema = (type: keyof typeof providerEventSchemas) => (data: unknown) => ajv.validate(providerEventSchemas[type], data);
    expect(schema('ApplicationFiled')({ ...filed('simulator').data, environment: 'staging' })).toBe(false);
    expect(schema('ApplicationFiled')({ ...filed('simulator').data, filingSequence: 0 })).toBe(false);
    expect(schema('ApplicationApproved')({ providerId: 'p1', applicationId: 'a', by: 'p1', reason: 'r', approvedAt: T })).toBe(false);
    expect(schema('SupportExtended')({ providerId: 'p1', environment: 'simulator', supportUntil: T, by: ADMIN, extendedAt: T })).toBe(false);
    expect(schema('CertificateRegistered')({ ...registered('integration', certificate('c1')).data, thumbprintSha256: 'AB' })).toBe(false);
    expect(schema('ConnectionDecided')({ ...connection('approve').data, decision: 'maybe' })).toBe(false);
  });
  it('each onboarding refusal answers its own problem type', () => {
    for (const code of ['application-out-of-order', 'environment-access-expired', 'certificate-profile-mismatch', 'connection-not-decided'] as const) {
      const problem = domainProblem(new DomainError(code, 'x'));
      expect(problemType(problem.name)).toBe(`urn:problem:act-ledger:${code}`);
    }
    expect(domainProblem(new DomainError('application-out-of-order', 'x')).status).toBe(409);
    expect(domainProblem(new DomainError('production-not-activated', 'x')).status).toBe(403);
  });
});
