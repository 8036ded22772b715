import {
  AUTHENTICATION_OUTCOMES,
  AUTHORIZATION_METHODS,
  CODE_ATTEMPT_OUTCOMES,
  CODE_CHANNELS,
  FAILURE_REASONS,
  GATEWAYS,
  LOAS,
  type ActEventType,
} from './act.ts';
import { count, exactly, hex256, instant, listOf, oneOf, oneOfOrNull, text, type JsonSchema } from './json-schema.ts';

/**
 * The data of each act event as the act codec hands it out, after unsealing. Sealed fields are
 * optional: once retention destroys the act's key they do not come back, and `erased` says so.
 */
const erased = { erased: { const: true } } as const;

export const actEventSchemas = {
  ActRegistered: exactly(
    {
      actId: text,
      providerId: text,
      providerName: text,
      methods: listOf(oneOf(AUTHORIZATION_METHODS)),
      loa: oneOfOrNull(LOAS),
      gateway: oneOf(GATEWAYS),
      requestDigest: text,
      attemptsAllowed: count,
      registeredAt: instant,
      expiresAt: instant,
    },
    { sepp: text, aifo: text, documentHash: hex256, name: text, description: text, ...erased },
  ),
  AuthenticationRequested: exactly({
    authenticationId: text,
    gateway: oneOf(GATEWAYS),
    loa: oneOfOrNull(LOAS),
    forceAuth: { const: true },
    redirectUri: text,
    requestedAt: instant,
  }),
  AuthenticationCompleted: exactly(
    {
      authenticationId: text,
      outcome: oneOf(AUTHENTICATION_OUTCOMES),
      loaAchieved: oneOfOrNull(LOAS),
      means: { type: ['string', 'null'] },
      completedAt: instant,
    },
    { identity: text, aifo: text, ...erased },
  ),
  CodeIssued: exactly(
    { codeId: text, channel: oneOf(CODE_CHANNELS), verifier: hex256, issuedAt: instant, expiresAt: instant },
    { destinationHint: text, ...erased },
  ),
  CodeDelivered: exactly({ codeId: text, channel: oneOf(CODE_CHANNELS), deliveredAt: instant, attempts: { type: 'integer', minimum: 1 } }),
  CodeDeliveryFailed: exactly({ codeId: text, channel: oneOf(CODE_CHANNELS), reason: text, failedAt: instant, attempts: count }),
  // attemptsLeft is not bounded below: a policy of zero attempts records -1 on the first mismatch.
  CodeAttempted: exactly({ codeId: text, outcome: oneOf(CODE_ATTEMPT_OUTCOMES), attemptsLeft: { type: 'integer' }, attemptedAt: instant }),
  ActAuthorized: exactly(
    { method: oneOf(AUTHORIZATION_METHODS), loa: oneOfOrNull(LOAS), authorizedAt: instant },
    { receiptCommitment: hex256, receiptSalt: { type: 'string', pattern: '^[A-Za-z0-9_-]{43}$' }, ...erased },
  ),
  ActAuthorizationFailed: exactly({ reason: oneOf(FAILURE_REASONS), failedAt: instant }),
  AuthorizationDisputed: exactly({ reportedAt: instant }),
} as const satisfies Record<ActEventType, JsonSchema>;
