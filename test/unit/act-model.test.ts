import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { actDecider, verificationResult, type ActCommand, type ActState } from '../../commands/act.ts';
import { DomainError, type DomainErrorCode } from '../../commands/errors.ts';
import type { ActEvent, ActEventType, AuthorizationMethod, CodeChannel, FailureReason, Gateway, Loa } from '../../events/act.ts';

/**
 * Model-based test of the act decider: random command sequences on one act, run through the real
 * decider (events folded through evolve) and through a small reference model of the rules written
 * here, independently. After every command both must agree on acceptance or refusal (and its code),
 * the events' types, the status, the attempts left, the failure reason, the method and the codes;
 * invariants are checked on the real state across the whole run.
 */

// ---------------------------------------------------------------------------------------------
// Steps: what the generator produces. Concrete ids and verifiers are resolved when the step runs,
// against what has happened so far (so "verify the current code" means the same thing for both).
// ---------------------------------------------------------------------------------------------

type CodeTarget = 'current' | 'older' | 'unknown';

type StepBody =
  | { kind: 'register'; channels: CodeChannel[]; attempts: number; loa: Loa | null; gateway: Gateway; lifetimeMin: number }
  | { kind: 'issue'; channel: CodeChannel; ttlMin: number; foreign: boolean }
  | { kind: 'verify'; target: CodeTarget; olderIndex: number; right: boolean; foreign: boolean }
  | { kind: 'deliveryFailure'; target: CodeTarget; olderIndex: number }
  | { kind: 'delivered'; target: CodeTarget; olderIndex: number }
  | { kind: 'requestAuth'; loa: Loa | null; foreign: boolean }
  | { kind: 'completeAuth'; which: 'current' | 'stale' | 'unknown'; outcome: 'authenticated' | 'cancelled' | 'failed'; person: 'same' | 'other' | 'none'; loaAchieved: Loa | null }
  | { kind: 'expire' }
  | { kind: 'dispute'; person: 'same' | 'other' };

/** A step and how many minutes the clock moves forward before it. */
type Step = StepBody & { advanceMin: number };

const T0 = Date.parse('2026-11-22T10:00:00.000Z');
const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();
const hex = (s: string) => createHash('sha256').update(s).digest('hex');
const PROVIDER = 'p1';
const OTHER_PROVIDER = 'p2';
const AIFO = 'aifo-1';
const OTHER_AIFO = 'aifo-2';
const RECEIPT_SALT = Buffer.alloc(32, 1).toString('base64url');

const loaArb = fc.constantFrom<Loa | null>(null, 'low', 'substantial', 'high');
const advanceArb = fc.oneof(
  { weight: 5, arbitrary: fc.constant(0) },
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 3 }) },
  { weight: 2, arbitrary: fc.integer({ min: 4, max: 30 }) },
);
const targetArb = fc.constantFrom<CodeTarget>('current', 'current', 'current', 'older', 'unknown');

const registerArb: fc.Arbitrary<StepBody> = fc.record({
  kind: fc.constant('register' as const),
  channels: fc.subarray<CodeChannel>(['sms', 'mobile-key']),
  attempts: fc.integer({ min: 1, max: 5 }),
  loa: loaArb,
  gateway: fc.constantFrom<Gateway>('national', 'national', 'international'),
  lifetimeMin: fc.integer({ min: 3, max: 60 }),
});

const stepBodyArb: fc.Arbitrary<StepBody> = fc.oneof(
  { weight: 1, arbitrary: registerArb },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('issue' as const),
      channel: fc.constantFrom<CodeChannel>('sms', 'mobile-key'),
      ttlMin: fc.integer({ min: 1, max: 10 }),
      foreign: fc.integer({ min: 0, max: 12 }).map((n) => n === 0),
    }),
  },
  {
    weight: 10,
    arbitrary: fc.record({
      kind: fc.constant('verify' as const),
      target: targetArb,
      olderIndex: fc.nat({ max: 5 }),
      right: fc.boolean(),
      foreign: fc.integer({ min: 0, max: 12 }).map((n) => n === 0),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('deliveryFailure' as const), target: targetArb, olderIndex: fc.nat({ max: 5 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('delivered' as const), target: targetArb, olderIndex: fc.nat({ max: 5 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('requestAuth' as const), loa: loaArb, foreign: fc.integer({ min: 0, max: 12 }).map((n) => n === 0) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('completeAuth' as const),
      which: fc.constantFrom<'current' | 'stale' | 'unknown'>('current', 'current', 'current', 'stale', 'unknown'),
      outcome: fc.constantFrom<'authenticated' | 'cancelled' | 'failed'>('authenticated', 'authenticated', 'authenticated', 'cancelled', 'failed'),
      person: fc.constantFrom<'same' | 'other' | 'none'>('same', 'same', 'same', 'other', 'none'),
      loaAchieved: loaArb,
    }),
  },
  { weight: 2, arbitrary: fc.constant({ kind: 'expire' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('dispute' as const), person: fc.constantFrom<'same' | 'other'>('same', 'same', 'other') }) },
);

const withAdvance = (body: fc.Arbitrary<StepBody>): fc.Arbitrary<Step> => fc.tuple(body, advanceArb).map(([b, advanceMin]) => ({ ...b, advanceMin }) as Step);

/** Mostly starts with a registration (without one, everything is "not found" until one comes). */
const scenarioArb: fc.Arbitrary<Step[]> = fc
  .tuple(fc.option(withAdvance(registerArb), { freq: 12, nil: undefined }), fc.array(withAdvance(stepBodyArb), { maxLength: 30, size: 'max' }))
  .map(([first, rest]) => (first ? [first, ...rest] : rest));

// ---------------------------------------------------------------------------------------------
// The reference model: the rules of an act, written from their description, not from the decider.
// ---------------------------------------------------------------------------------------------

type Status = 'none' | 'pending' | 'authorized' | 'failed';
type VerificationAnswer = 'authorized' | 'mismatch' | 'expired' | 'superseded' | 'locked';

interface ModelCode {
  channel: CodeChannel;
  verifier: string;
  expiresAt: number;
  superseded: boolean;
  used: boolean;
  delivery: 'pending' | 'sent' | 'failed';
}

interface Model {
  status: Status;
  reason?: FailureReason;
  method?: AuthorizationMethod;
  attemptsLeft: number;
  expiresAt: number;
  methods: AuthorizationMethod[];
  gateway: Gateway;
  codes: Map<string, ModelCode>;
  current?: string;
  auth?: { id: string; loa: Loa | null; completed: boolean };
  /** The act's person said a failed attempt was not theirs. */
  reported?: boolean;
}

type Expected = { refused: DomainErrorCode } | { events: ActEventType[]; answer?: VerificationAnswer };

const RANK: Record<Loa, number> = { low: 1, substantial: 2, high: 3 };

function emptyModel(): Model {
  return { status: 'none', attemptsLeft: 0, expiresAt: 0, methods: [], gateway: 'national', codes: new Map() };
}

/** What the rules say about `command` on `m`; mutates `m` into the state after it. */
function modelStep(m: Model, command: ActCommand, now: number): Expected {
  if (command.type === 'RegisterAct') {
    if (m.status !== 'none') return { refused: 'conflict' };
    m.status = 'pending';
    m.attemptsLeft = command.attemptsAllowed;
    m.expiresAt = Date.parse(command.expiresAt);
    m.methods = [...command.methods];
    m.gateway = command.gateway;
    return { events: ['ActRegistered'] };
  }
  // Nothing can be done to an act that does not exist, and another provider cannot see this one.
  if (m.status === 'none') return { refused: 'not-found' };
  if ('providerId' in command && command.providerId !== PROVIDER) return { refused: 'not-found' };

  const actExpired = now >= m.expiresAt;
  const fail = (reason: FailureReason) => {
    m.status = 'failed';
    m.reason = reason;
  };
  const authorize = (method: AuthorizationMethod) => {
    m.status = 'authorized';
    m.method = method;
  };
  /** Commands that need a live act: refused once it is decided or past its lifetime. */
  const notPending = m.status !== 'pending' || actExpired;

  switch (command.type) {
    case 'DisputeAuthorization':
      // Only the act's own person, only about a failed act, and once: a second report records nothing.
      if (command.aifo !== AIFO) return { refused: 'not-found' };
      if (m.status !== 'failed') return { refused: 'act-not-failed' };
      if (m.reported) return { events: [] };
      m.reported = true;
      return { events: ['AuthorizationDisputed'] };

    case 'ExpireAct':
      if (m.status === 'pending' && actExpired) {
        fail('expired');
        return { events: ['ActAuthorizationFailed'] };
      }
      return { events: [] };

    case 'RecordCodeDeliveryFailure': {
      const code = m.codes.get(command.codeId);
      if (!code) return { refused: 'code-unknown' };
      // A delivery is sent or failed once: a second report records nothing.
      if (code.delivery !== 'pending') return { events: [] };
      // A code that never arrived cannot be confirmed any more; the act itself is unchanged.
      code.superseded = true;
      code.delivery = 'failed';
      return { events: ['CodeDeliveryFailed'] };
    }

    case 'RecordCodeDelivery': {
      const code = m.codes.get(command.codeId);
      if (!code) return { refused: 'code-unknown' };
      if (code.delivery !== 'pending') return { events: [] };
      code.delivery = 'sent';
      return { events: ['CodeDelivered'] };
    }

    case 'IssueCode': {
      if (notPending) return { refused: 'act-not-pending' };
      if (!m.methods.includes(command.channel)) return { refused: 'channel-unavailable' };
      for (const c of m.codes.values()) c.superseded = true;
      m.codes.set(command.codeId, { channel: command.channel, verifier: command.verifier, expiresAt: Date.parse(command.expiresAt), superseded: false, used: false, delivery: 'pending' });
      m.current = command.codeId;
      return { events: ['CodeIssued'] };
    }

    case 'VerifyCode': {
      const code = m.codes.get(command.codeId);
      if (!code) return { refused: 'code-unknown' };
      // Locked: attempts exhausted; answered without recording anything more.
      if (m.status === 'failed' && m.reason === 'attempts-exhausted') return { events: [], answer: 'locked' };
      if (notPending) return { refused: 'act-not-pending' };
      if (code.used) return { refused: 'act-not-pending' };
      if (code.superseded) return { events: ['CodeAttempted'], answer: 'superseded' };
      if (now >= code.expiresAt) return { events: ['CodeAttempted'], answer: 'expired' };
      if (command.verifier === code.verifier) {
        code.used = true;
        authorize(code.channel);
        return { events: ['CodeAttempted', 'ActAuthorized'], answer: 'authorized' };
      }
      m.attemptsLeft -= 1;
      if (m.attemptsLeft === 0) {
        fail('attempts-exhausted');
        return { events: ['CodeAttempted', 'ActAuthorizationFailed'], answer: 'mismatch' };
      }
      return { events: ['CodeAttempted'], answer: 'mismatch' };
    }

    case 'RequestAuthentication':
      if (notPending) return { refused: 'act-not-pending' };
      // The international gateway knows no LoA.
      m.auth = { id: command.authenticationId, loa: m.gateway === 'international' ? null : command.loa, completed: false };
      return { events: ['AuthenticationRequested'] };

    case 'CompleteAuthentication': {
      if (notPending) return { refused: 'act-not-pending' };
      const auth = m.auth;
      if (!auth || auth.id !== command.authenticationId || auth.completed) return { refused: 'conflict' };
      auth.completed = true;
      let reason: FailureReason | undefined;
      if (command.outcome === 'cancelled') reason = 'cancelled';
      else if (command.outcome === 'failed') reason = 'authentication-failed';
      else if (command.aifo !== AIFO) reason = 'identity-mismatch';
      else if (auth.loa !== null && (command.loaAchieved === null || RANK[command.loaAchieved] < RANK[auth.loa])) reason = 'loa-too-low';
      if (reason) fail(reason);
      else authorize('authentication');
      return { events: ['AuthenticationCompleted', reason ? 'ActAuthorizationFailed' : 'ActAuthorized'] };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The runner: turns steps into commands, applies them to both, compares.
// ---------------------------------------------------------------------------------------------

interface Run {
  now: number;
  state: ActState;
  model: Model;
  issued: string[];
  authIds: string[];
  counter: number;
  allEvents: ActEvent[];
}

function pickCode(run: Run, target: CodeTarget, olderIndex: number): string {
  if (target === 'unknown') return 'code-never-issued';
  const current = run.model.current;
  if (target === 'current' || run.issued.length < 2) return current ?? 'code-never-issued';
  const older = run.issued.slice(0, -1);
  return older[older.length - 1 - (olderIndex % older.length)]!;
}

function toCommand(run: Run, step: Step): ActCommand {
  const now = iso(run.now);
  const n = ++run.counter;
  switch (step.kind) {
    case 'register':
      return {
        type: 'RegisterAct',
        actId: 'act-1',
        providerId: PROVIDER,
        providerName: 'Provider One',
        sepp: 'sepp-1',
        aifo: AIFO,
        documentHash: hex('document'),
        name: 'Act',
        description: '',
        loa: step.loa,
        gateway: step.gateway,
        methods: ['authentication', ...step.channels],
        requestDigest: 'digest',
        attemptsAllowed: step.attempts,
        now,
        expiresAt: iso(run.now + step.lifetimeMin * MIN),
      };
    case 'issue': {
      const codeId = `code-${n}`;
      return {
        type: 'IssueCode',
        providerId: step.foreign ? OTHER_PROVIDER : PROVIDER,
        codeId,
        channel: step.channel,
        verifier: hex(`right:${codeId}`),
        destinationHint: '+420 *** *** 001',
        now,
        expiresAt: iso(run.now + step.ttlMin * MIN),
      };
    }
    case 'verify': {
      const codeId = pickCode(run, step.target, step.olderIndex);
      return {
        type: 'VerifyCode',
        providerId: step.foreign ? OTHER_PROVIDER : PROVIDER,
        codeId,
        verifier: step.right ? hex(`right:${codeId}`) : hex(`wrong:${codeId}:${n}`),
        receiptSalt: RECEIPT_SALT,
        now,
      };
    }
    case 'deliveryFailure':
      return { type: 'RecordCodeDeliveryFailure', codeId: pickCode(run, step.target, step.olderIndex), reason: 'gateway down', attempts: 3, now };
    case 'delivered':
      return { type: 'RecordCodeDelivery', codeId: pickCode(run, step.target, step.olderIndex), attempts: 1, now };
    case 'requestAuth':
      return { type: 'RequestAuthentication', providerId: step.foreign ? OTHER_PROVIDER : PROVIDER, authenticationId: `auth-${n}`, redirectUri: 'https://p/return', loa: step.loa, now };
    case 'completeAuth': {
      const authenticationId =
        step.which === 'unknown' ? 'auth-never-requested' : step.which === 'stale' && run.authIds.length >= 2 ? run.authIds[run.authIds.length - 2]! : (run.authIds.at(-1) ?? 'auth-never-requested');
      const aifo = step.person === 'same' ? AIFO : step.person === 'other' ? OTHER_AIFO : null;
      return {
        type: 'CompleteAuthentication',
        authenticationId,
        outcome: step.outcome,
        aifo: step.outcome === 'authenticated' ? aifo : null,
        identity: step.outcome === 'authenticated' && aifo ? `bsi-of-${aifo}` : null,
        loaAchieved: step.outcome === 'authenticated' ? step.loaAchieved : null,
        means: step.outcome === 'authenticated' ? 'eid-card' : null,
        receiptSalt: RECEIPT_SALT,
        now,
      };
    }
    case 'expire':
      return { type: 'ExpireAct', now };
    case 'dispute':
      return { type: 'DisputeAuthorization', aifo: step.person === 'same' ? AIFO : OTHER_AIFO, now };
  }
}

const TERMINAL = new Set<Status>(['authorized', 'failed']);

function runScenario(steps: Step[]): void {
  const run: Run = { now: T0, state: actDecider.initialState(), model: emptyModel(), issued: [], authIds: [], counter: 0, allEvents: [] };

  for (const [i, step] of steps.entries()) {
    run.now += step.advanceMin * MIN;
    const command = toCommand(run, step);
    const where = `step ${i} (${command.type} at +${(run.now - T0) / MIN} min)`;
    const before = run.state;

    // The real decider.
    let actual: { refused: DomainErrorCode } | { events: ActEvent[] };
    try {
      actual = { events: actDecider.decide(command, before) };
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      actual = { refused: error.code };
    }
    const after = 'events' in actual ? actual.events.reduce(actDecider.evolve, before) : before;

    // The model.
    const expected = modelStep(run.model, command, run.now);
    const m = run.model;

    // Acceptance or refusal, and the refusal code.
    if ('refused' in expected) {
      expect('refused' in actual ? actual.refused : `accepted with ${JSON.stringify((actual as { events: ActEvent[] }).events.map((e) => e.type))}`, where).toBe(expected.refused);
    } else {
      expect('events' in actual ? actual.events.map((e) => e.type) : `refused ${actual.refused}`, where).toEqual(expected.events);
    }
    if ('events' in actual) {
      if (command.type === 'IssueCode' && actual.events.length) run.issued.push(command.codeId);
      if (command.type === 'RequestAuthentication' && actual.events.length) run.authIds.push(command.authenticationId);
      run.allEvents.push(...actual.events);
      if (command.type === 'VerifyCode' && 'answer' in expected) {
        expect(verificationResult(actual.events, after), `${where}: verification answer`).toBe(expected.answer);
      }
      if (command.type === 'VerifyCode') {
        const attempted = actual.events.find((e) => e.type === 'CodeAttempted');
        if (attempted?.type === 'CodeAttempted') expect(attempted.data.attemptsLeft, `${where}: attemptsLeft recorded`).toBe(m.attemptsLeft);
      }
    }

    // The resulting state, field by field.
    expect(after.status, `${where}: status`).toBe(m.status);
    expect(after.attemptsLeft, `${where}: attemptsLeft`).toBe(m.attemptsLeft);
    expect(after.failure?.reason, `${where}: failure reason`).toBe(m.reason);
    expect(after.reportedAt !== undefined, `${where}: reported`).toBe(m.reported === true);
    expect(after.method, `${where}: method`).toBe(m.method);
    expect(after.currentCodeId, `${where}: current code`).toBe(m.current);
    expect(
      Object.fromEntries(Object.entries(after.codes).map(([id, c]) => [id, { superseded: c.superseded, used: c.used, channel: c.channel, delivery: c.delivery }])),
      `${where}: codes`,
    ).toEqual(Object.fromEntries([...m.codes].map(([id, c]) => [id, { superseded: c.superseded, used: c.used, channel: c.channel, delivery: c.delivery }])));

    // Invariants, on the real state alone.
    if (TERMINAL.has(before.status)) {
      expect(after.status, `${where}: terminal status changed`).toBe(before.status);
      expect(after.failure, `${where}: terminal failure changed`).toEqual(before.failure);
      expect(after.method, `${where}: terminal method changed`).toBe(before.method);
      expect(after.authorizedAt, `${where}: terminal authorizedAt changed`).toBe(before.authorizedAt);
      expect(after.attemptsLeft, `${where}: attempts changed on a decided act`).toBe(before.attemptsLeft);
      // Only what became of a code's delivery may still be recorded about a decided act.
      if ('events' in actual) for (const e of actual.events) expect(['CodeDelivered', 'CodeDeliveryFailed', 'AuthorizationDisputed'], `${where}: event on a decided act`).toContain(e.type);
    }
    const authorized = run.allEvents.filter((e) => e.type === 'ActAuthorized').length;
    const failed = run.allEvents.filter((e) => e.type === 'ActAuthorizationFailed').length;
    expect(authorized, `${where}: ActAuthorized count`).toBeLessThanOrEqual(1);
    expect(authorized + failed, `${where}: decided more than once`).toBeLessThanOrEqual(1);
    expect(after.attemptsLeft, `${where}: attemptsLeft negative`).toBeGreaterThanOrEqual(0);
    if (after.status !== 'none') {
      expect(after.attemptsLeft === 0, `${where}: attempts at 0 exactly when failed as attempts-exhausted`).toBe(
        after.status === 'failed' && after.failure?.reason === 'attempts-exhausted',
      );
    }
    if (after.status === 'authorized') expect(authorized, `${where}: authorized without ActAuthorized`).toBe(1);

    run.state = after;
  }

  // Folding everything from scratch gives the state reached step by step.
  expect(run.allEvents.reduce(actDecider.evolve, actDecider.initialState())).toEqual(run.state);
}

describe('act decider against a reference model', () => {
  it('agrees with the model on random command sequences for one act, and keeps its invariants', () => {
    fc.assert(
      fc.property(scenarioArb, (steps) => {
        runScenario(steps);
      }),
      { numRuns: 300 },
    );
  }, 60_000);

  it('the generator reaches every ending (so the comparison above is not vacuous)', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(scenarioArb, (steps) => {
        const run: Run = { now: T0, state: actDecider.initialState(), model: emptyModel(), issued: [], authIds: [], counter: 0, allEvents: [] };
        for (const step of steps) {
          run.now += step.advanceMin * MIN;
          const command = toCommand(run, step);
          const expected = modelStep(run.model, command, run.now);
          if ('events' in expected && expected.events.length) {
            if (command.type === 'IssueCode') run.issued.push(command.codeId);
            if (command.type === 'RequestAuthentication') run.authIds.push(command.authenticationId);
          }
          if ('refused' in expected) seen.add(`refused:${expected.refused}`);
          if ('answer' in expected && expected.answer) seen.add(`answer:${expected.answer}`);
        }
        seen.add(`status:${run.model.status}${run.model.reason ? `:${run.model.reason}` : ''}${run.model.method ? `:${run.model.method}` : ''}`);
      }),
      { numRuns: 300, seed: 42 },
    );
    for (const must of [
      'status:pending',
      'status:authorized:sms',
      'status:authorized:mobile-key',
      'status:authorized:authentication',
      'status:failed:attempts-exhausted',
      'status:failed:expired',
      'status:failed:cancelled',
      'status:failed:authentication-failed',
      'status:failed:identity-mismatch',
      'status:failed:loa-too-low',
      'answer:mismatch',
      'answer:expired',
      'answer:superseded',
      'answer:locked',
      'refused:not-found',
      'refused:conflict',
      'refused:act-not-pending',
      'refused:channel-unavailable',
      'refused:code-unknown',
    ]) {
      expect(seen, must).toContain(must);
    }
  });
});
