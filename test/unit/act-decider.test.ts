import { describe, expect, it } from 'vitest';
import { actDecider, verificationResult, type ActCommand, type ActState } from '../../commands/act.ts';
import { DomainError } from '../../commands/errors.ts';
import type { ActEvent } from '../../events/act.ts';
import { receiptCommitment, receiptContent } from '../../commands/act-receipt.ts';

/** given events / when command / then events or refusal */
function given(events: ActEvent[]) {
  const state = events.reduce(actDecider.evolve, actDecider.initialState());
  return {
    state,
    when(command: ActCommand) {
      let result: ActEvent[] | DomainError;
      try {
        result = actDecider.decide(command, state);
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        result = error;
      }
      return {
        then: (expected: ActEvent[]) => expect(result).toEqual(expected),
        thenRefused: (code: DomainError['code']) => {
          expect(result).toBeInstanceOf(DomainError);
          expect((result as DomainError).code).toBe(code);
        },
        result,
        stateAfter: () => (Array.isArray(result) ? result.reduce(actDecider.evolve, state) : state),
      };
    },
  };
}

const T0 = '2026-11-22T10:00:00.000Z';
const at = (minutes: number) => new Date(Date.parse(T0) + minutes * 60_000).toISOString();
const hex = (c: string, n = 64) => c.repeat(n);

const registered: ActEvent = {
  type: 'ActRegistered',
  data: {
    actId: 'act-1',
    providerId: 'p1',
    providerName: 'Provider One',
    methods: ['authentication', 'sms', 'mobile-key'],
    loa: 'substantial',
    gateway: 'national',
    requestDigest: 'd',
    attemptsAllowed: 3,
    registeredAt: T0,
    expiresAt: at(24 * 60),
    sepp: 'bsi-1',
    aifo: 'aifo-1',
    documentHash: hex('a'),
    name: 'Act',
    description: '',
  },
};
const codeIssued = (codeId: string, minute = 0, channel: 'sms' | 'mobile-key' = 'sms'): ActEvent => ({
  type: 'CodeIssued',
  data: { codeId, channel, verifier: hex(codeId === 'c1' ? '1' : '2'), issuedAt: at(minute), expiresAt: at(minute + 5), destinationHint: '+420 *** *** 001' },
});
const SALT = Buffer.alloc(32, 7).toString('base64url');
const verify = (codeId: string, verifier: string, minute: number, providerId = 'p1'): ActCommand => ({ type: 'VerifyCode', providerId, codeId, verifier, receiptSalt: SALT, now: at(minute) });
/** The ActAuthorized the decider must write: its receipt's commitment over the act as registered. */
const authorizedBy = (method: 'sms' | 'mobile-key' | 'authentication', loa: 'low' | 'substantial' | 'high' | null, minute: number): ActEvent => {
  const facts = { method, loa, authorizedAt: at(minute) };
  const content = receiptContent({ actId: 'act-1', documentHash: hex('a'), name: 'Act', description: '', providerId: 'p1', providerName: 'Provider One' }, facts);
  return { type: 'ActAuthorized', data: { ...facts, receiptCommitment: receiptCommitment(Buffer.alloc(32, 7), content), receiptSalt: SALT } };
};
const issue = (minute: number, channel: 'sms' | 'mobile-key' = 'sms', providerId = 'p1'): ActCommand => ({
  type: 'IssueCode',
  providerId,
  codeId: 'c9',
  channel,
  verifier: hex('9'),
  destinationHint: 'x',
  now: at(minute),
  expiresAt: at(minute + 5),
});
const authRequested: ActEvent = {
  type: 'AuthenticationRequested',
  data: { authenticationId: 'auth-1', gateway: 'national', loa: 'substantial', forceAuth: true, redirectUri: 'https://p/return', requestedAt: at(1) },
};
const complete = (aifo: string | null, loa: 'low' | 'substantial' | 'high' | null, outcome: 'authenticated' | 'cancelled' | 'failed' = 'authenticated'): ActCommand => ({
  type: 'CompleteAuthentication',
  authenticationId: 'auth-1',
  outcome,
  aifo,
  identity: aifo ? `bsi-of-${aifo}` : null,
  loaAchieved: loa,
  means: 'eid-card',
  receiptSalt: SALT,
  now: at(2),
});

describe('act decider', () => {
  describe('registration', () => {
    it('registers a new act as pending', () => {
      const { actId, providerId, providerName, methods, loa, gateway, requestDigest, attemptsAllowed, expiresAt, sepp, aifo, documentHash, name, description } = registered.data as Required<typeof registered.data>;
      const w = given([]).when({ type: 'RegisterAct', actId, providerId, providerName, methods, loa, gateway, requestDigest, attemptsAllowed, expiresAt, sepp, aifo, documentHash, name, description, now: T0 });
      w.then([registered]);
      expect(w.stateAfter().status).toBe('pending');
    });
    it('refuses a second registration of the same id', () => {
      const d = registered.data as Required<typeof registered.data>;
      given([registered]).when({ type: 'RegisterAct', ...d, now: T0 }).thenRefused('conflict');
    });
    it('knows no act that was never registered', () => {
      given([]).when(issue(1)).thenRefused('not-found');
      given([]).when({ type: 'ExpireAct', now: at(1) }).thenRefused('not-found');
    });
  });

  describe('codes', () => {
    it('issues a code on an available channel', () => {
      given([registered]).when(issue(1, 'mobile-key')).then([
        { type: 'CodeIssued', data: { codeId: 'c9', channel: 'mobile-key', verifier: hex('9'), issuedAt: at(1), expiresAt: at(6), destinationHint: 'x' } },
      ]);
    });
    it('refuses a channel the citizen does not have', () => {
      const noSms: ActEvent = { ...registered, data: { ...registered.data, methods: ['authentication'] } } as ActEvent;
      given([noSms]).when(issue(1, 'sms')).thenRefused('channel-unavailable');
    });
    it('refuses a code on a failed or authorized act', () => {
      given([registered, { type: 'ActAuthorizationFailed', data: { reason: 'cancelled', failedAt: at(1) } }]).when(issue(2)).thenRefused('act-not-pending');
      given([registered, { type: 'ActAuthorized', data: { method: 'sms', loa: null, authorizedAt: at(1) } }]).when(issue(2)).thenRefused('act-not-pending');
    });
    it('refuses a code once the act has outlived its lifetime', () => {
      given([registered]).when(issue(24 * 60 + 1)).thenRefused('act-not-pending');
    });
    it('authorizes on a matching verifier, and the code is then used', () => {
      const w = given([registered, codeIssued('c1')]).when(verify('c1', hex('1'), 2));
      w.then([
        { type: 'CodeAttempted', data: { codeId: 'c1', outcome: 'matched', attemptsLeft: 3, attemptedAt: at(2) } },
        authorizedBy('sms', null, 2),
      ]);
      expect(verificationResult(w.result as ActEvent[], w.stateAfter())).toBe('authorized');
    });
    it('refuses a verification after authorization', () => {
      const events = actDecider.decide(verify('c1', hex('1'), 2), given([registered, codeIssued('c1')]).state);
      given([registered, codeIssued('c1'), ...events]).when(verify('c1', hex('1'), 3)).thenRefused('act-not-pending');
    });
    it('counts a mismatch', () => {
      given([registered, codeIssued('c1')]).when(verify('c1', hex('f'), 2)).then([
        { type: 'CodeAttempted', data: { codeId: 'c1', outcome: 'mismatch', attemptsLeft: 2, attemptedAt: at(2) } },
      ]);
    });
    it('fails the act when the attempts are exhausted, then answers locked without recording more', () => {
      const mismatch = (left: number, minute: number): ActEvent => ({ type: 'CodeAttempted', data: { codeId: 'c1', outcome: 'mismatch', attemptsLeft: left, attemptedAt: at(minute) } });
      const w = given([registered, codeIssued('c1'), mismatch(2, 2), mismatch(1, 2)]).when(verify('c1', hex('f'), 3));
      w.then([mismatch(0, 3), { type: 'ActAuthorizationFailed', data: { reason: 'attempts-exhausted', failedAt: at(3) } }]);
      const after = given([registered, codeIssued('c1'), mismatch(2, 2), mismatch(1, 2), ...(w.result as ActEvent[])]);
      const locked = after.when(verify('c1', hex('1'), 4));
      locked.then([]);
      expect(verificationResult([], after.state)).toBe('locked');
    });
    it('answers superseded for an older code without using an attempt', () => {
      given([registered, codeIssued('c1'), codeIssued('c2', 1)]).when(verify('c1', hex('1'), 2)).then([
        { type: 'CodeAttempted', data: { codeId: 'c1', outcome: 'superseded', attemptsLeft: 3, attemptedAt: at(2) } },
      ]);
    });
    it('answers expired for a code past its lifetime', () => {
      given([registered, codeIssued('c1')]).when(verify('c1', hex('1'), 6)).then([
        { type: 'CodeAttempted', data: { codeId: 'c1', outcome: 'expired', attemptsLeft: 3, attemptedAt: at(6) } },
      ]);
    });
    it('refuses an unknown code', () => {
      given([registered, codeIssued('c1')]).when(verify('c7', hex('1'), 2)).thenRefused('code-unknown');
    });
    it('treats a code whose delivery failed as superseded', () => {
      given([registered, codeIssued('c1'), { type: 'CodeDeliveryFailed', data: { codeId: 'c1', channel: 'sms', reason: 'gateway down', failedAt: at(1), attempts: 4 } }])
        .when(verify('c1', hex('1'), 2))
        .then([{ type: 'CodeAttempted', data: { codeId: 'c1', outcome: 'superseded', attemptsLeft: 3, attemptedAt: at(2) } }]);
    });
  });

  describe('delivery of a code', () => {
    const delivered = (minute: number, attempts = 1): ActCommand => ({ type: 'RecordCodeDelivery', codeId: 'c1', attempts, now: at(minute) });
    const failed = (minute: number, reason = 'gateway refused: 400'): ActCommand => ({ type: 'RecordCodeDeliveryFailure', codeId: 'c1', reason, attempts: 3, now: at(minute) });
    const deliveredEvent: ActEvent = { type: 'CodeDelivered', data: { codeId: 'c1', channel: 'sms', deliveredAt: at(1), attempts: 2 } };

    it('a new code is pending delivery', () => {
      expect(given([registered, codeIssued('c1')]).state.codes.c1).toMatchObject({ delivery: 'pending', issuedAt: at(0), expiresAt: at(5) });
    });
    it('records the delivery with the tries it took; the code is sent and can still be confirmed', () => {
      const w = given([registered, codeIssued('c1')]).when(delivered(1, 2));
      w.then([deliveredEvent]);
      expect(w.stateAfter().codes.c1).toMatchObject({ delivery: 'sent', deliveredAt: at(1), superseded: false });
      given([registered, codeIssued('c1'), deliveredEvent]).when(verify('c1', hex('1'), 2)).then([
        { type: 'CodeAttempted', data: { codeId: 'c1', outcome: 'matched', attemptsLeft: 3, attemptedAt: at(2) } },
        authorizedBy('sms', null, 2),
      ]);
    });
    it('records a failure with its reason and tries; the code is failed and superseded', () => {
      const w = given([registered, codeIssued('c1')]).when(failed(2));
      w.then([{ type: 'CodeDeliveryFailed', data: { codeId: 'c1', channel: 'sms', reason: 'gateway refused: 400', failedAt: at(2), attempts: 3 } }]);
      expect(w.stateAfter().codes.c1).toMatchObject({ delivery: 'failed', superseded: true, failure: { reason: 'gateway refused: 400', failedAt: at(2) } });
    });
    it('records nothing more once a delivery is final, whichever report comes again', () => {
      given([registered, codeIssued('c1'), deliveredEvent]).when(delivered(3)).then([]);
      given([registered, codeIssued('c1'), deliveredEvent]).when(failed(3)).then([]);
      const failure: ActEvent = { type: 'CodeDeliveryFailed', data: { codeId: 'c1', channel: 'sms', reason: 'unregistered', failedAt: at(1), attempts: 1 } };
      given([registered, codeIssued('c1'), failure]).when(delivered(3)).then([]);
      given([registered, codeIssued('c1'), failure]).when(failed(3)).then([]);
    });
    it('records what became of a delivery on an act decided meanwhile', () => {
      given([registered, codeIssued('c1'), { type: 'ActAuthorizationFailed', data: { reason: 'cancelled', failedAt: at(1) } }]).when(delivered(2)).then([
        { type: 'CodeDelivered', data: { codeId: 'c1', channel: 'sms', deliveredAt: at(2), attempts: 1 } },
      ]);
    });
    it('refuses a report about a code the act never issued', () => {
      given([registered, codeIssued('c1')]).when({ type: 'RecordCodeDelivery', codeId: 'c7', attempts: 1, now: at(1) }).thenRefused('code-unknown');
      given([]).when(delivered(1)).thenRefused('not-found');
    });
  });

  describe('another provider', () => {
    it('cannot see or touch the act: not found for every command', () => {
      const g = given([registered, codeIssued('c1'), authRequested]);
      g.when(issue(1, 'sms', 'p2')).thenRefused('not-found');
      g.when(verify('c1', hex('1'), 2, 'p2')).thenRefused('not-found');
      g.when({ type: 'RequestAuthentication', providerId: 'p2', authenticationId: 'a', redirectUri: 'https://x', loa: null, now: at(1) }).thenRefused('not-found');
    });
  });

  describe('authorization by authentication', () => {
    it('records the request with ForceAuth and the LoA asked', () => {
      given([registered]).when({ type: 'RequestAuthentication', providerId: 'p1', authenticationId: 'auth-1', redirectUri: 'https://p/return', loa: 'substantial', now: at(1) }).then([authRequested]);
    });
    it('drops the LoA for the international gateway', () => {
      const foreign = { ...registered, data: { ...registered.data, gateway: 'international' } } as ActEvent;
      const w = given([foreign]).when({ type: 'RequestAuthentication', providerId: 'p1', authenticationId: 'auth-1', redirectUri: 'https://p/return', loa: 'high', now: at(1) });
      expect((w.result as ActEvent[])[0]).toMatchObject({ data: { gateway: 'international', loa: null, forceAuth: true } });
    });
    it('authorizes the same person at a sufficient LoA', () => {
      const w = given([registered, authRequested]).when(complete('aifo-1', 'high'));
      expect((w.result as ActEvent[]).map((e) => e.type)).toEqual(['AuthenticationCompleted', 'ActAuthorized']);
      expect((w.result as ActEvent[])[1]).toEqual(authorizedBy('authentication', 'high', 2));
    });
    it('fails on another person: identity-mismatch', () => {
      expect(given([registered, authRequested]).when(complete('aifo-2', 'high')).stateAfter().failure?.reason).toBe('identity-mismatch');
    });
    it('fails on a LoA below the one required: loa-too-low', () => {
      expect(given([registered, authRequested]).when(complete('aifo-1', 'low')).stateAfter().failure?.reason).toBe('loa-too-low');
    });
    it('fails on cancel: cancelled', () => {
      expect(given([registered, authRequested]).when(complete(null, null, 'cancelled')).stateAfter().failure?.reason).toBe('cancelled');
    });
    it('fails on a failed authentication: authentication-failed', () => {
      expect(given([registered, authRequested]).when(complete(null, null, 'failed')).stateAfter().failure?.reason).toBe('authentication-failed');
    });
    it('refuses a completion that was not requested, or completes twice', () => {
      given([registered]).when(complete('aifo-1', 'high')).thenRefused('conflict');
      const done = actDecider.decide(complete('aifo-1', 'high'), given([registered, authRequested]).state);
      given([registered, authRequested, ...done]).when(complete('aifo-1', 'high')).thenRefused('act-not-pending');
    });
  });

  describe('expiry', () => {
    it('fails a pending act past its lifetime as expired, once', () => {
      const w = given([registered]).when({ type: 'ExpireAct', now: at(24 * 60) });
      w.then([{ type: 'ActAuthorizationFailed', data: { reason: 'expired', failedAt: at(24 * 60) } }]);
      given([registered, ...(w.result as ActEvent[])]).when({ type: 'ExpireAct', now: at(24 * 60 + 1) }).then([]);
    });
    it('leaves an act within its lifetime, and terminal acts, alone', () => {
      given([registered]).when({ type: 'ExpireAct', now: at(60) }).then([]);
      given([registered, { type: 'ActAuthorized', data: { method: 'sms', loa: null, authorizedAt: at(1) } }]).when({ type: 'ExpireAct', now: at(24 * 61) }).then([]);
    });
  });

  describe('a report that a failed attempt was not the person (this was not me)', () => {
    const failed: ActEvent = { type: 'ActAuthorizationFailed', data: { reason: 'identity-mismatch', failedAt: at(3) } };
    const dispute = (aifo = 'aifo-1', minute = 10): ActCommand => ({ type: 'DisputeAuthorization', aifo, now: at(minute) });

    it('records the report of the act\'s own person on a failed act', () => {
      given([registered, failed]).when(dispute()).then([{ type: 'AuthorizationDisputed', data: { reportedAt: at(10) } }]);
    });
    it('a second report records nothing; the first one\'s time stands', () => {
      const w = given([registered, failed, { type: 'AuthorizationDisputed', data: { reportedAt: at(10) } }]).when(dispute('aifo-1', 20));
      w.then([]);
      expect(w.stateAfter().reportedAt).toBe(at(10));
    });
    it('another person\'s act is not found, as is an act that does not exist', () => {
      given([registered, failed]).when(dispute('aifo-2')).thenRefused('not-found');
      given([]).when(dispute()).thenRefused('not-found');
    });
    it('a pending or authorized act cannot be reported', () => {
      given([registered]).when(dispute()).thenRefused('act-not-failed');
      given([registered, { type: 'ActAuthorized', data: { method: 'sms', loa: null, authorizedAt: at(1) } }]).when(dispute()).thenRefused('act-not-failed');
    });
    it('an act whose key retention destroyed is not found: nobody can show it was theirs', () => {
      const erased = { ...registered, data: { ...registered.data } } as ActEvent & { data: Record<string, unknown> };
      for (const f of ['sepp', 'aifo', 'documentHash', 'name', 'description']) delete erased.data[f];
      given([erased, failed]).when(dispute()).thenRefused('not-found');
    });
  });

  it('state after purge: personal fields absent, the rest intact', () => {
    const erased = { ...registered, data: { ...registered.data } } as ActEvent & { data: Record<string, unknown> };
    for (const f of ['sepp', 'aifo', 'documentHash', 'name', 'description']) delete erased.data[f];
    const s: ActState = given([erased]).state;
    expect(s.status).toBe('pending');
    expect(s.aifo).toBeUndefined();
  });
});
