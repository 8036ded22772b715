import type {
  ActEvent,
  AuthenticationOutcome,
  AuthorizationMethod,
  CodeChannel,
  CodeDeliveryState,
  FailureReason,
  Gateway,
  Loa,
} from '../events/act.ts';
import type { Decider } from './decider.ts';
import { refuse } from './errors.ts';
import { hexEquals } from './constant-time.ts';
import { actDescriptionFault, actNameFault, describeFault } from './act-text.ts';
import { receiptCommitment, receiptContent, saltBytes } from './act-receipt.ts';

export type ActStatus = 'none' | 'pending' | 'authorized' | 'failed';

export interface CodeState {
  channel: CodeChannel;
  verifier: string;
  issuedAt: string;
  expiresAt: string;
  superseded: boolean;
  used: boolean;
  /** pending until CodeDelivered (sent) or CodeDeliveryFailed (failed); either is final. */
  delivery: CodeDeliveryState;
  deliveredAt?: string;
  failure?: { reason: string; failedAt: string };
}

export interface ActState {
  status: ActStatus;
  actId: string;
  providerId: string;
  providerName: string;
  /** Absent once the act's data key is destroyed (retention). */
  sepp?: string;
  aifo?: string;
  documentHash?: string;
  name?: string;
  description?: string;
  methods: AuthorizationMethod[];
  loa: Loa | null;
  gateway: Gateway;
  requestDigest: string;
  registeredAt: string;
  expiresAt: string;
  attemptsLeft: number;
  codes: Record<string, CodeState>;
  currentCodeId?: string;
  authentication?: { authenticationId: string; redirectUri: string; loa: Loa | null; gateway: Gateway; completed: boolean };
  method?: AuthorizationMethod;
  authorizedAt?: string;
  failure?: { reason: FailureReason; failedAt: string };
  /** When the act's person reported the failed attempt as not theirs (AuthorizationDisputed). */
  reportedAt?: string;
}

export type ActCommand =
  | {
      type: 'RegisterAct';
      actId: string;
      providerId: string;
      providerName: string;
      sepp: string;
      aifo: string;
      documentHash: string;
      name: string;
      description: string;
      loa: Loa | null;
      gateway: Gateway;
      methods: AuthorizationMethod[];
      requestDigest: string;
      attemptsAllowed: number;
      now: string;
      expiresAt: string;
    }
  | {
      type: 'IssueCode';
      providerId: string;
      codeId: string;
      channel: CodeChannel;
      verifier: string;
      /** How the citizen will recognise where the code went (a masked phone, a device label); null: nowhere to send it now. */
      destinationHint: string | null;
      now: string;
      expiresAt: string;
    }
  /** The gateway accepted the code; `attempts`: tries it took. Nothing more is recorded once the code's delivery is final. */
  | { type: 'RecordCodeDelivery'; codeId: string; attempts: number; now: string }
  /** The code will not reach the citizen. Nothing more is recorded once the code's delivery is final. */
  | { type: 'RecordCodeDeliveryFailure'; codeId: string; reason: string; attempts: number; now: string }
  /** `receiptSalt`: 32 random bytes (base64url) for the receipt's commitment, used if the code matches. */
  | { type: 'VerifyCode'; providerId: string; codeId: string; verifier: string; receiptSalt: string; now: string }
  | { type: 'RequestAuthentication'; providerId: string; authenticationId: string; redirectUri: string; loa: Loa | null; now: string }
  | {
      type: 'CompleteAuthentication';
      authenticationId: string;
      outcome: AuthenticationOutcome;
      /** AIFO behind the authorization SeP's BSI of the person who authenticated. */
      aifo: string | null;
      identity: string | null;
      loaAchieved: Loa | null;
      means: string | null;
      /** 32 random bytes (base64url) for the receipt's commitment, used if the act is authorized. */
      receiptSalt: string;
      now: string;
    }
  | { type: 'ExpireAct'; now: string }
  /** The signed-in person `aifo` reports a failed attempt in their name as not theirs; once per act. */
  | { type: 'DisputeAuthorization'; aifo: string; now: string };

const LOA_RANK: Record<Loa, number> = { low: 1, substantial: 2, high: 3 };

/** True when `achieved` meets `required` (no requirement: anything does). */
export function loaSatisfies(achieved: Loa | null, required: Loa | null): boolean {
  if (!required) return true;
  return achieved !== null && LOA_RANK[achieved] >= LOA_RANK[required];
}

const isPast = (now: string, at: string) => Date.parse(now) >= Date.parse(at);

export const actDecider: Decider<ActState, ActCommand, ActEvent> = {
  initialState: () => ({
    status: 'none',
    actId: '',
    providerId: '',
    providerName: '',
    methods: [],
    loa: null,
    gateway: 'national',
    requestDigest: '',
    registeredAt: '',
    expiresAt: '',
    attemptsLeft: 0,
    codes: {},
  }),

  evolve(state, event) {
    switch (event.type) {
      case 'ActRegistered': {
        const d = event.data;
        // Object.assign, then the sealed fields one by one: a spread followed by new keys builds a
        // fresh hidden class per key in V8 (about 7 µs here), on every load of every act.
        const next: ActState = Object.assign({}, state, {
          status: 'pending' as const,
          actId: d.actId,
          providerId: d.providerId,
          providerName: d.providerName,
          methods: d.methods,
          loa: d.loa,
          gateway: d.gateway,
          requestDigest: d.requestDigest,
          registeredAt: d.registeredAt,
          expiresAt: d.expiresAt,
          attemptsLeft: d.attemptsAllowed,
        });
        // Absent once the act's key is destroyed (retention).
        if (d.sepp !== undefined) next.sepp = d.sepp;
        if (d.aifo !== undefined) next.aifo = d.aifo;
        if (d.documentHash !== undefined) next.documentHash = d.documentHash;
        if (d.name !== undefined) next.name = d.name;
        if (d.description !== undefined) next.description = d.description;
        return next;
      }
      case 'CodeIssued': {
        const codes = Object.fromEntries(Object.entries(state.codes).map(([id, c]) => [id, { ...c, superseded: true }]));
        codes[event.data.codeId] = {
          channel: event.data.channel,
          verifier: event.data.verifier,
          issuedAt: event.data.issuedAt,
          expiresAt: event.data.expiresAt,
          superseded: false,
          used: false,
          delivery: 'pending',
        };
        return { ...state, codes, currentCodeId: event.data.codeId };
      }
      case 'CodeDelivered': {
        const code = state.codes[event.data.codeId];
        return code ? { ...state, codes: { ...state.codes, [event.data.codeId]: { ...code, delivery: 'sent', deliveredAt: event.data.deliveredAt } } } : state;
      }
      case 'CodeDeliveryFailed': {
        // A code that never arrived cannot be confirmed: it is superseded.
        const code = state.codes[event.data.codeId];
        const failed: CodeState | undefined = code && { ...code, superseded: true, delivery: 'failed', failure: { reason: event.data.reason, failedAt: event.data.failedAt } };
        return failed ? { ...state, codes: { ...state.codes, [event.data.codeId]: failed } } : state;
      }
      case 'CodeAttempted': {
        const code = state.codes[event.data.codeId];
        const codes = code && event.data.outcome === 'matched' ? { ...state.codes, [event.data.codeId]: { ...code, used: true } } : state.codes;
        return { ...state, codes, attemptsLeft: event.data.attemptsLeft };
      }
      case 'AuthenticationRequested':
        return {
          ...state,
          authentication: {
            authenticationId: event.data.authenticationId,
            redirectUri: event.data.redirectUri,
            loa: event.data.loa,
            gateway: event.data.gateway,
            completed: false,
          },
        };
      case 'AuthenticationCompleted':
        return state.authentication ? { ...state, authentication: { ...state.authentication, completed: true } } : state;
      case 'ActAuthorized':
        return { ...state, status: 'authorized', method: event.data.method, authorizedAt: event.data.authorizedAt };
      case 'ActAuthorizationFailed':
        return { ...state, status: 'failed', failure: { reason: event.data.reason, failedAt: event.data.failedAt } };
      case 'AuthorizationDisputed':
        return { ...state, reportedAt: event.data.reportedAt };
    }
  },

  decide(command, state) {
    switch (command.type) {
      case 'RegisterAct':
        return decideRegistration(command, state);
      case 'ExpireAct':
        assertActOf(state);
        return state.status === 'pending' && isPast(command.now, state.expiresAt)
          ? [{ type: 'ActAuthorizationFailed', data: { reason: 'expired', failedAt: command.now } }]
          : [];
      // Delivery facts are recorded whatever became of the act meanwhile; a repeated report (a task run
      // again after a crash) records nothing more.
      case 'RecordCodeDelivery': {
        assertActOf(state);
        const code = state.codes[command.codeId];
        if (!code) refuse('code-unknown', 'no such code for this act');
        if (code.delivery !== 'pending') return [];
        return [{ type: 'CodeDelivered', data: { codeId: command.codeId, channel: code.channel, deliveredAt: command.now, attempts: command.attempts } }];
      }
      case 'RecordCodeDeliveryFailure': {
        assertActOf(state);
        const code = state.codes[command.codeId];
        if (!code) refuse('code-unknown', 'no such code for this act');
        if (code.delivery !== 'pending') return [];
        return [{ type: 'CodeDeliveryFailed', data: { codeId: command.codeId, channel: code.channel, reason: command.reason, failedAt: command.now, attempts: command.attempts } }];
      }
      case 'VerifyCode':
        assertActOf(state, command.providerId);
        return decideVerification(command, state);
      case 'IssueCode':
        assertActOf(state, command.providerId);
        assertPending(state, command.now);
        // The channel must be one the act offers and still reach the citizen (a phone, a device).
        if (!state.methods.includes(command.channel) || command.destinationHint === null) {
          refuse('channel-unavailable', `channel ${command.channel} is not available for this citizen`, { available: state.methods });
        }
        return [
          {
            type: 'CodeIssued',
            data: {
              codeId: command.codeId,
              channel: command.channel,
              verifier: command.verifier,
              issuedAt: command.now,
              expiresAt: command.expiresAt,
              destinationHint: command.destinationHint,
            },
          },
        ];
      case 'RequestAuthentication':
        assertActOf(state, command.providerId);
        assertPending(state, command.now);
        return [
          {
            type: 'AuthenticationRequested',
            data: {
              authenticationId: command.authenticationId,
              gateway: state.gateway,
              // The international gateway ignores any LoA the provider asked for.
              loa: state.gateway === 'international' ? null : command.loa,
              forceAuth: true,
              redirectUri: command.redirectUri,
              requestedAt: command.now,
            },
          },
        ];
      case 'CompleteAuthentication':
        assertActOf(state);
        assertPending(state, command.now);
        return decideAuthentication(command, state);
      case 'DisputeAuthorization':
        return decideDispute(command, state);
    }
  },
};

function decideRegistration(command: Extract<ActCommand, { type: 'RegisterAct' }>, state: ActState): ActEvent[] {
  if (state.status !== 'none') refuse('conflict', 'an act with this id already exists');
  const nameFault = actNameFault(command.name);
  if (nameFault) refuse('invalid-act-name', describeFault('name', nameFault), { fault: nameFault });
  const descriptionFault = actDescriptionFault(command.description);
  if (descriptionFault) refuse('invalid-act-description', describeFault('description', descriptionFault), { fault: descriptionFault });
  const { type: _t, now, ...rest } = command;
  return [{ type: 'ActRegistered', data: { ...rest, registeredAt: now } }];
}

/** The act exists, and (when a provider asks) is that provider's: another provider's act does not exist, as far as it can tell. */
function assertActOf(state: ActState, providerId?: string): void {
  if (state.status === 'none' || (providerId !== undefined && providerId !== state.providerId)) refuse('not-found', 'act not found');
}

function assertPending(state: ActState, now: string): void {
  if (state.status !== 'pending') refuse('act-not-pending', `the act is ${state.status}`, { actStatus: state.status, ...(state.failure ? { reason: state.failure.reason } : {}) });
  if (isPast(now, state.expiresAt)) refuse('act-not-pending', 'the act has expired', { actStatus: 'failed', reason: 'expired' });
}

/**
 * Only the act's own person, and only while its registration is readable: once retention destroyed
 * the key nobody can show the act was theirs, so an erased act answers as another person's does
 * (not found). A second report records nothing; the first one stands.
 */
function decideDispute(command: Extract<ActCommand, { type: 'DisputeAuthorization' }>, state: ActState): ActEvent[] {
  if (state.status === 'none' || state.aifo === undefined || state.aifo !== command.aifo) refuse('not-found', 'act not found');
  if (state.status !== 'failed') refuse('act-not-failed', `the act is ${state.status}: only a failed attempt can be reported`, { actStatus: state.status });
  if (state.reportedAt !== undefined) return [];
  return [{ type: 'AuthorizationDisputed', data: { reportedAt: command.now } }];
}

function decideVerification(command: Extract<ActCommand, { type: 'VerifyCode' }>, state: ActState): ActEvent[] {
  const code = state.codes[command.codeId];
  if (!code) refuse('code-unknown', 'no such code for this act');
  // Attempts exhausted: the act is locked; answer without recording more.
  if (state.status === 'failed' && state.failure?.reason === 'attempts-exhausted') return [];
  assertPending(state, command.now);
  const attempt = (outcome: 'matched' | 'mismatch' | 'expired' | 'superseded', attemptsLeft: number): ActEvent => ({
    type: 'CodeAttempted',
    data: { codeId: command.codeId, outcome, attemptsLeft, attemptedAt: command.now },
  });
  if (code.used) refuse('act-not-pending', 'this code has been used');
  if (code.superseded) return [attempt('superseded', state.attemptsLeft)];
  if (isPast(command.now, code.expiresAt)) return [attempt('expired', state.attemptsLeft)];
  if (hexEquals(command.verifier, code.verifier)) {
    return [attempt('matched', state.attemptsLeft), authorization(state, { method: code.channel, loa: null, authorizedAt: command.now }, command.receiptSalt)];
  }
  const left = state.attemptsLeft - 1;
  const events = [attempt('mismatch', left)];
  if (left <= 0) events.push({ type: 'ActAuthorizationFailed', data: { reason: 'attempts-exhausted', failedAt: command.now } });
  return events;
}

function decideAuthentication(command: Extract<ActCommand, { type: 'CompleteAuthentication' }>, state: ActState): ActEvent[] {
  const auth = state.authentication;
  if (!auth || auth.authenticationId !== command.authenticationId || auth.completed) {
    refuse('conflict', 'this authentication was not requested for the act, or has already completed');
  }
  const completed: ActEvent = {
    type: 'AuthenticationCompleted',
    data: {
      authenticationId: command.authenticationId,
      outcome: command.outcome,
      loaAchieved: command.loaAchieved,
      means: command.means,
      completedAt: command.now,
      ...(command.identity ? { identity: command.identity } : {}),
      ...(command.aifo ? { aifo: command.aifo } : {}),
    },
  };
  const fail = (reason: FailureReason): ActEvent[] => [completed, { type: 'ActAuthorizationFailed', data: { reason, failedAt: command.now } }];
  if (command.outcome === 'cancelled') return fail('cancelled');
  // The identity provider refused, or its answer did not hold up (tampered token, stale auth_time).
  if (command.outcome === 'failed') return fail('authentication-failed');
  if (!command.aifo || command.aifo !== state.aifo) return fail('identity-mismatch');
  if (!loaSatisfies(command.loaAchieved, auth.loa)) return fail('loa-too-low');
  return [completed, authorization(state, { method: 'authentication', loa: command.loaAchieved, authorizedAt: command.now }, command.receiptSalt)];
}

/** ActAuthorized with its receipt's commitment over the act as registered and these facts. */
function authorization(state: ActState, facts: { method: AuthorizationMethod; loa: Loa | null; authorizedAt: string }, receiptSalt: string): ActEvent {
  const salt = saltBytes(receiptSalt);
  if (!salt) throw new Error('the receipt salt must be 32 bytes in base64url');
  const { documentHash, name, description } = state;
  // A pending act always has its registration readable: only failed acts lose their key (retention).
  if (documentHash === undefined || name === undefined || description === undefined) throw new Error(`act ${state.actId}: its registration is not readable; nothing can be authorized`);
  const content = receiptContent({ actId: state.actId, documentHash, name, description, providerId: state.providerId, providerName: state.providerName }, facts);
  return { type: 'ActAuthorized', data: { ...facts, receiptCommitment: receiptCommitment(salt, content), receiptSalt } };
}

/** What the verification endpoint answers, derived from the events a VerifyCode command produced. */
export function verificationResult(
  events: ActEvent[],
  state: ActState,
): 'authorized' | 'mismatch' | 'expired' | 'superseded' | 'locked' {
  if (state.status === 'authorized') return 'authorized';
  const attempted = events.find((e) => e.type === 'CodeAttempted');
  if (!attempted) return 'locked';
  const outcome = attempted.data.outcome;
  return outcome === 'matched' ? 'authorized' : outcome;
}
