import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, type DomainErrorCode } from '../../commands/errors.ts';

/**
 * Every refusal the HTTP edge can give, with its status. The `type` URI of a problem document is
 * `urn:problem:act-ledger:<name>`: stable, so clients can branch on it.
 */
export const problemCatalog = {
  'invalid-request': { status: 400, title: 'The request is not valid' },
  'invalid-document-hash': { status: 400, title: 'documentHash must be a SHA-256: 64 hexadecimal characters, lowercase when registering an act' },
  'invalid-act-name': { status: 400, title: 'name must be 1 to 100 characters, without control characters' },
  'invalid-act-description': { status: 400, title: 'description must be at most 300 characters, without control characters' },
  'invalid-provider-name': { status: 400, title: 'The provider name must be 1 to 200 characters' },
  'invalid-sepp': { status: 400, title: 'sepp must be a SePP string' },
  'invalid-loa': { status: 400, title: 'loa must be low, substantial or high' },
  'invalid-channel': { status: 400, title: 'channel must be sms or mobile-key' },
  'invalid-code-hash': { status: 400, title: 'codeSha512 must be 128 lowercase hexadecimal characters' },
  'invalid-idempotency-key': { status: 400, title: 'Idempotency-Key must be 1 to 200 visible ASCII characters' },
  'invalid-retention-policy': { status: 400, title: 'The retention policy is not an ISO 8601 duration within its bounds' },
  'invalid-client': { status: 401, title: 'The client could not be authenticated' },
  unauthorized: { status: 401, title: 'Authentication is required' },
  'invalid-token': { status: 401, title: 'The access token is not valid' },
  forbidden: { status: 403, title: 'Not allowed' },
  'provider-suspended': { status: 403, title: 'The provider is suspended' },
  'missing-role': { status: 403, title: 'The admin lacks the role this route requires' },
  'bootstrap-token-limited': { status: 403, title: 'Outside the simulator the bootstrap token may only create admins, suspend them and revoke their keys' },
  'admin-suspended': { status: 403, title: 'The admin is suspended' },
  'auditor-token-required': { status: 403, title: 'The audit API accepts only the auditor token' },
  'auditor-token-not-accepted': { status: 403, title: 'The auditor token is accepted by the audit API only' },
  'auditing-not-configured': { status: 404, title: 'Auditing is not configured on this ledger (LEDGER_AUDITOR_TOKEN)' },
  'not-found': { status: 404, title: 'Not found' },
  'no-checkpoint-yet': { status: 404, title: 'The log has no signed checkpoint yet' },
  'tree-not-that-large': { status: 404, title: 'The log tree does not hold that many leaves yet' },
  'position-not-in-log': { status: 404, title: 'No event of the log has that position (or it is not numbered yet)' },
  'leaf-not-in-tree': { status: 400, title: 'The event is not among the leaves of a tree of that size' },
  'tile-not-found': { status: 404, title: 'No such tile in the log tree (yet)' },
  'method-not-allowed': { status: 405, title: 'Method not allowed' },
  conflict: { status: 409, title: 'Conflict with the current state' },
  'concurrency-conflict': { status: 409, title: 'Other requests changed the same record at the same time; retry after the Retry-After delay' },
  'idempotency-key-reused': { status: 409, title: 'Idempotency-Key was used with a different request' },
  'act-not-pending': { status: 409, title: 'The act is no longer pending' },
  'act-not-failed': { status: 409, title: 'Only a failed attempt to authorize an act can be reported' },
  'channel-unavailable': { status: 422, title: 'This authorization channel is not available for the citizen' },
  'sepp-unknown': { status: 422, title: 'The SePP is not known for this provider' },
  'code-unknown': { status: 404, title: 'No such code for this act' },
  'key-unknown': { status: 404, title: 'No such key' },
  'provider-unknown': { status: 404, title: 'No such provider' },
  'key-revoked': { status: 409, title: 'The key is revoked' },
  'redirect-uri-not-registered': { status: 400, title: 'The redirect_uri is not registered for this provider' },
  'change-self-confirmation': { status: 403, title: 'A change must be confirmed by an admin other than the one who proposed it' },
  'change-role-missing': { status: 403, title: 'This change needs a role the admin does not hold' },
  'change-expired': { status: 409, title: 'The change expired before it was confirmed' },
  'change-already-confirmed': { status: 409, title: 'The change was confirmed already' },
  'application-not-filed': { status: 404, title: 'No such application for this provider' },
  'application-already-decided': { status: 409, title: 'The application was decided already' },
  'application-out-of-order': { status: 409, title: 'An application filed earlier for this environment is still undecided; give a reason to decide this one first' },
  'environment-access-missing': { status: 403, title: 'The provider has no access to this environment' },
  'environment-access-expired': { status: 403, title: "The provider's support window in this environment has ended" },
  'production-not-activated': { status: 403, title: 'The provider is not activated in production' },
  'support-extension-not-allowed': { status: 422, title: 'Support can only be extended in integration, to at most 90 days from the grant' },
  'conformance-missing': { status: 409, title: 'The provider has not passed the conformance this step needs' },
  'connection-not-decided': { status: 409, title: 'Production needs an approving connection decision first' },
  'connection-already-decided': { status: 409, title: 'The connection was approved already' },
  'certificate-unknown': { status: 404, title: 'No such certificate' },
  'certificate-expired': { status: 422, title: 'The certificate has expired' },
  'certificate-not-yet-valid': { status: 422, title: 'The certificate is not valid yet' },
  'certificate-weak': { status: 422, title: "The certificate's key is too weak (RSA below 2048 bits, or an unknown curve)" },
  'certificate-profile-mismatch': { status: 422, title: "The certificate's profile differs from the one used in integration for this purpose" },
  'certificate-malformed': { status: 400, title: 'Not exactly one well-formed PEM certificate' },
  'certificate-purpose-mismatch': { status: 422, title: 'The certificate does not allow the purpose it is registered for (TLS client authentication)' },
  'certificate-revoked': { status: 409, title: 'The certificate is revoked' },
  'client-certificate-required': { status: 401, title: 'Provider requests need a client certificate (mutual TLS)' },
  'client-certificate-unknown': { status: 403, title: "The client certificate is not one of the provider's current transport certificates" },
  'token-certificate-mismatch': { status: 401, title: 'The access token is bound to another client certificate (RFC 8705)' },
  'simulator-not-passed': { status: 409, title: 'An integration application that does not skip the simulator needs the simulator record imported, with conformance passed' },
  'record-transfer-not-allowed': { status: 409, title: 'Provider records are exported from the simulator and integration, and imported into integration and production' },
  'previous-environment-unknown': { status: 409, title: "This ledger has no previous environment's key set to verify an import with (LEDGER_PREVIOUS_ENVIRONMENT_JWKS)" },
  'import-signature-invalid': { status: 422, title: "The record's signature does not verify with a key the previous environment publishes" },
  'import-record-invalid': { status: 422, title: 'The record is signed but not one this ledger imports (type, audience, environment, expiry or contents)' },
  'request-timeout': { status: 408, title: 'The request did not arrive in time' },
  'payload-too-large': { status: 413, title: 'The request body is too large' },
  'uri-too-long': { status: 414, title: 'The request path is too long' },
  'headers-too-large': { status: 431, title: 'The request headers are too large' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type' },
  'captcha-invalid': { status: 400, title: 'The captcha solution is missing, wrong, expired or already used' },
  'code-rate-limited': { status: 429, title: 'Too many codes sent to this citizen; try later' },
  'rate-limited': { status: 429, title: 'Too many requests' },
  'service-unavailable': { status: 503, title: 'A part the ledger depends on is not available' },
  overloaded: { status: 503, title: 'The ledger is overloaded; retry after the Retry-After delay' },
  internal: { status: 500, title: 'Internal error' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemName = keyof typeof problemCatalog;

export const problemType = (name: ProblemName): string => `urn:problem:act-ledger:${name}`;

/** A refusal raised inside a route; the error handler turns it into problem+json. */
export class HttpProblem extends Error {
  override readonly name = 'HttpProblem';
  constructor(
    readonly problem: ProblemName,
    readonly detail: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
  }
}

export function sendProblem(
  reply: FastifyReply,
  name: ProblemName,
  detail: string,
  extra: Record<string, unknown> = {},
): FastifyReply {
  const { status, title } = problemCatalog[name];
  return reply
    .code(status)
    .type('application/problem+json')
    // Extra members never override the standard ones.
    .send({ ...extra, type: problemType(name), title, status, detail, instance: reply.request.url.split('?')[0] });
}

/** The one mapping of the domain's refusals to problems: the JSON error handler and the browser routes' pages both use it. */
export const domainProblems: Record<DomainErrorCode, ProblemName> = {
  'invalid-request': 'invalid-request',
  'not-found': 'not-found',
  conflict: 'conflict',
  'concurrency-conflict': 'concurrency-conflict',
  'invalid-act-name': 'invalid-act-name',
  'invalid-act-description': 'invalid-act-description',
  'idempotency-key-reused': 'idempotency-key-reused',
  'provider-suspended': 'provider-suspended',
  'provider-unknown': 'provider-unknown',
  'key-unknown': 'key-unknown',
  'key-revoked': 'key-revoked',
  'sepp-unknown': 'sepp-unknown',
  'act-not-pending': 'act-not-pending',
  'act-not-failed': 'act-not-failed',
  'channel-unavailable': 'channel-unavailable',
  'code-unknown': 'code-unknown',
  'code-rate-limited': 'code-rate-limited',
  'redirect-uri-not-registered': 'redirect-uri-not-registered',
  'invalid-retention-policy': 'invalid-retention-policy',
  'change-self-confirmation': 'change-self-confirmation',
  'change-role-missing': 'change-role-missing',
  'change-expired': 'change-expired',
  'change-already-confirmed': 'change-already-confirmed',
  'application-not-filed': 'application-not-filed',
  'application-already-decided': 'application-already-decided',
  'application-out-of-order': 'application-out-of-order',
  'environment-access-missing': 'environment-access-missing',
  'environment-access-expired': 'environment-access-expired',
  'production-not-activated': 'production-not-activated',
  'support-extension-not-allowed': 'support-extension-not-allowed',
  'conformance-missing': 'conformance-missing',
  'connection-not-decided': 'connection-not-decided',
  'connection-already-decided': 'connection-already-decided',
  'certificate-unknown': 'certificate-unknown',
  'certificate-expired': 'certificate-expired',
  'certificate-not-yet-valid': 'certificate-not-yet-valid',
  'certificate-weak': 'certificate-weak',
  'certificate-profile-mismatch': 'certificate-profile-mismatch',
  'certificate-malformed': 'certificate-malformed',
  'certificate-purpose-mismatch': 'certificate-purpose-mismatch',
  'certificate-revoked': 'certificate-revoked',
  'simulator-not-passed': 'simulator-not-passed',
  'record-transfer-not-allowed': 'record-transfer-not-allowed',
  'previous-environment-unknown': 'previous-environment-unknown',
  'import-signature-invalid': 'import-signature-invalid',
  'import-record-invalid': 'import-record-invalid',
  forbidden: 'forbidden',
};

/** A domain refusal as the problem it answers, with the members it adds and how long to wait before a retry. */
export interface DomainProblem {
  name: ProblemName;
  status: number;
  title: string;
  details: Record<string, unknown>;
  retryAfterSeconds?: number;
}

/** The problem a domain refusal answers, by the one mapping above. */
export function domainProblem(error: DomainError): DomainProblem {
  const name = domainProblems[error.code];
  const { retryAfterSeconds, ...details } = error.details;
  return { name, ...problemCatalog[name], details, ...(typeof retryAfterSeconds === 'number' ? { retryAfterSeconds } : {}) };
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * This route's own problem types for validation failures of its body fields (by top-level
     * field name); any other field, or a route without them, answers `invalid-request`.
     */
    fieldProblems?: Readonly<Record<string, ProblemName>>;
  }
}

/** Maps every error once, here, to application/problem+json. */
/** How a refusal is answered: problem+json, or a page on the citizen's browser routes. */
export type Refuse = (request: FastifyRequest, reply: FastifyReply, name: ProblemName, detail: string) => FastifyReply;

export function registerProblemHandling(app: FastifyInstance, refuse: Refuse = (_request, reply, name, detail) => sendProblem(reply, name, detail)): void {
  app.setErrorHandler((error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof HttpProblem) {
      reply.headers(error.headers);
      return sendProblem(reply, error.problem, error.detail, error.extra);
    }
    if (error instanceof DomainError) {
      const problem = domainProblem(error);
      if (problem.retryAfterSeconds !== undefined) reply.header('retry-after', String(problem.retryAfterSeconds));
      return sendProblem(reply, problem.name, error.message, problem.details);
    }
    const fe = error as FastifyError & { validation?: Array<{ instancePath?: string; message?: string; params?: unknown }>; validationContext?: string };
    if (fe.validation) {
      const first = fe.validation[0] as { instancePath?: string; params?: { missingProperty?: string } } | undefined;
      const field = first?.instancePath?.split('/')[1] ?? first?.params?.missingProperty;
      const specific = field && fe.validationContext === 'body' ? request.routeOptions.config.fieldProblems?.[field] : undefined;
      return sendProblem(reply, specific ?? 'invalid-request', fe.message, {
        errors: fe.validation.map((v) => ({ in: fe.validationContext, pointer: v.instancePath || '/', message: v.message })),
      });
    }
    switch (fe.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
      case 'FST_REQ_FILE_TOO_LARGE':
      case 'FST_FILES_LIMIT':
        return sendProblem(reply, 'payload-too-large', 'the request body is larger than allowed');
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return sendProblem(reply, 'unsupported-media-type', fe.message);
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
      case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
        return sendProblem(reply, 'invalid-request', fe.message);
    }
    if (fe.statusCode === 429) return refuse(request, reply, 'rate-limited', 'too many requests; slow down');
    if (fe instanceof SyntaxError || (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500)) {
      return sendProblem(reply, 'invalid-request', fe.message);
    }
    request.log.error({ err: error }, 'unhandled error');
    return refuse(request, reply, 'internal', 'the ledger could not complete the request; nothing was recorded unless stated');
  });
  app.setNotFoundHandler((request, reply) => refuse(request, reply, 'not-found', `no route for ${request.method} ${request.url.split('?')[0]}`));
}
