import type { DomainEvent } from './envelope.ts';

// The values of each enumerated field, once: the types below, the event schemas and the HTTP schemas all take them from here.
export const AUTHORIZATION_METHODS = ['authentication', 'sms', 'mobile-key'] as const;
export const CODE_CHANNELS = ['sms', 'mobile-key'] as const;
export const LOAS = ['low', 'substantial', 'high'] as const;
export const GATEWAYS = ['national', 'international'] as const;
export const FAILURE_REASONS = ['identity-mismatch', 'attempts-exhausted', 'expired', 'cancelled', 'loa-too-low', 'authentication-failed'] as const;
export const AUTHENTICATION_OUTCOMES = ['authenticated', 'cancelled', 'failed'] as const;
/** What one try of a code came to (CodeAttempted). */
export const CODE_ATTEMPT_OUTCOMES = ['matched', 'mismatch', 'expired', 'superseded'] as const;
/** What a provider reads of an act: pending until it is authorized or failed, both final. */
export const ACT_STATUSES = ['pending', 'authorized', 'failed'] as const;
/** Where a code's delivery stands: `pending` until the notifier accepted it (`sent`) or gave up (`failed`). */
export const CODE_DELIVERY_STATES = ['pending', 'sent', 'failed'] as const;
/** What a confirmation of a code answers. */
export const VERIFICATION_RESULTS = ['authorized', 'mismatch', 'expired', 'superseded', 'locked'] as const;

export type AuthorizationMethod = (typeof AUTHORIZATION_METHODS)[number];
export type CodeChannel = (typeof CODE_CHANNELS)[number];
export type Loa = (typeof LOAS)[number];
export type Gateway = (typeof GATEWAYS)[number];
export type FailureReason = (typeof FAILURE_REASONS)[number];
export type AuthenticationOutcome = (typeof AUTHENTICATION_OUTCOMES)[number];
export type CodeAttemptOutcome = (typeof CODE_ATTEMPT_OUTCOMES)[number];
export type ActStatus = (typeof ACT_STATUSES)[number];
export type VerificationResult = (typeof VERIFICATION_RESULTS)[number];
export type CodeDeliveryState = (typeof CODE_DELIVERY_STATES)[number];

/** Fields that identify a person or a document. They travel sealed (encrypted with the act's data key). */
export interface ActRegisteredSealed {
  sepp: string;
  aifo: string;
  documentHash: string;
  name: string;
  description: string;
}

export type ActEvent =
  | DomainEvent<
      'ActRegistered',
      {
        actId: string;
        providerId: string;
        providerName: string;
        methods: AuthorizationMethod[];
        /** LoA the provider asked for (none for a foreign SePP: ignored by the international gateway). */
        loa: Loa | null;
        gateway: Gateway;
        /** HMAC of the registration request, so a repeated Idempotency-Key can tell same body from different. */
        requestDigest: string;
        attemptsAllowed: number;
        registeredAt: string;
        expiresAt: string;
      } & Partial<ActRegisteredSealed>
    >
  | DomainEvent<
      'AuthenticationRequested',
      { authenticationId: string; gateway: Gateway; loa: Loa | null; forceAuth: true; redirectUri: string; requestedAt: string }
    >
  | DomainEvent<
      'AuthenticationCompleted',
      {
        authenticationId: string;
        outcome: AuthenticationOutcome;
        loaAchieved: Loa | null;
        means: string | null;
        completedAt: string;
        /** The authorization SeP's BSI of whoever authenticated, and the AIFO behind it (sealed). */
        identity?: string;
        aifo?: string;
      }
    >
  | DomainEvent<
      'CodeIssued',
      {
        codeId: string;
        channel: CodeChannel;
        /** HMAC-SHA-256(server secret, codeSha512): the only form of the code the ledger keeps. */
        verifier: string;
        issuedAt: string;
        expiresAt: string;
        /** Where it went, masked (sealed): "+420 *** *** 123" or a device label. */
        destinationHint?: string;
      }
    >
  /** The channel's gateway accepted the code after `attempts` tries. */
  | DomainEvent<'CodeDelivered', { codeId: string; channel: CodeChannel; deliveredAt: string; attempts: number }>
  /** The code will not reach the citizen; `attempts`: tries made (0 when none was worth making). Version 1 had no `attempts`. */
  | DomainEvent<'CodeDeliveryFailed', { codeId: string; channel: CodeChannel; reason: string; failedAt: string; attempts: number }>
  | DomainEvent<
      'CodeAttempted',
      { codeId: string; outcome: CodeAttemptOutcome; attemptsLeft: number; attemptedAt: string }
    >
  | DomainEvent<
      'ActAuthorized',
      {
        method: AuthorizationMethod;
        loa: Loa | null;
        authorizedAt: string;
        /**
         * hex SHA-256(salt ‖ canonical JSON of the receipt's content), commands/act-receipt.ts: binds the
         * holder's receipt to this event. Version 1 had none (and its acts get no receipt).
         */
        receiptCommitment?: string;
        /** The commitment's 32 salt bytes, base64url (sealed: with the document hash it would let anyone test guesses). */
        receiptSalt?: string;
      }
    >
  | DomainEvent<'ActAuthorizationFailed', { reason: FailureReason; failedAt: string }>
  /**
   * The person in whose name a failed act was registered said it was not them (the portal's "this
   * was not me"), while the act was still retained. Nothing personal: who reported it is the act's
   * own person, and the metadata's actor is `citizen`.
   */
  | DomainEvent<'AuthorizationDisputed', { reportedAt: string }>;

export type ActEventType = ActEvent['type'];

/** Per event type, the data fields that are sealed before the event is stored. */
export const sealedFields: Partial<Record<ActEventType, readonly string[]>> = {
  ActRegistered: ['sepp', 'aifo', 'documentHash', 'name', 'description'],
  AuthenticationCompleted: ['identity', 'aifo'],
  CodeIssued: ['destinationHint'],
  ActAuthorized: ['receiptSalt'],
};

export const actEventTypes: readonly ActEventType[] = [
  'ActRegistered',
  'AuthenticationRequested',
  'AuthenticationCompleted',
  'CodeIssued',
  'CodeDelivered',
  'CodeDeliveryFailed',
  'CodeAttempted',
  'ActAuthorized',
  'ActAuthorizationFailed',
  'AuthorizationDisputed',
];
