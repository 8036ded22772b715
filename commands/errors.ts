/**
 * The domain's refusals. Each code is stable: the HTTP edge maps it once to a problem type
 * (src/http/problems.ts) and clients may branch on it.
 */
export type DomainErrorCode =
  | 'invalid-request'
  | 'not-found'
  | 'conflict'
  | 'concurrency-conflict'
  | 'invalid-act-name'
  | 'invalid-act-description'
  | 'idempotency-key-reused'
  | 'provider-suspended'
  | 'provider-unknown'
  | 'key-unknown'
  | 'key-revoked'
  | 'sepp-unknown'
  | 'act-not-pending'
  | 'act-not-failed'
  | 'channel-unavailable'
  | 'code-unknown'
  | 'code-rate-limited'
  | 'redirect-uri-not-registered'
  | 'invalid-retention-policy'
  | 'change-self-confirmation'
  | 'change-role-missing'
  | 'change-expired'
  | 'change-already-confirmed'
  | 'application-not-filed'
  | 'application-already-decided'
  | 'application-out-of-order'
  | 'environment-access-missing'
  | 'environment-access-expired'
  | 'production-not-activated'
  | 'support-extension-not-allowed'
  | 'conformance-missing'
  | 'connection-not-decided'
  | 'connection-already-decided'
  | 'certificate-unknown'
  | 'certificate-expired'
  | 'certificate-not-yet-valid'
  | 'certificate-weak'
  | 'certificate-profile-mismatch'
  | 'certificate-malformed'
  | 'certificate-purpose-mismatch'
  | 'certificate-revoked'
  | 'simulator-not-passed'
  | 'record-transfer-not-allowed'
  | 'previous-environment-unknown'
  | 'import-signature-invalid'
  | 'import-record-invalid'
  | 'forbidden';

export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    /** Extra members for the problem document; never personal data. */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export function refuse(code: DomainErrorCode, message: string, details?: Record<string, unknown>): never {
  throw new DomainError(code, message, details);
}
