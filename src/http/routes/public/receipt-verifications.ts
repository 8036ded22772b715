import { AUTHORIZATION_METHODS, LOAS } from '../../../../events/act.ts';
import { RECEIPT_PROBLEMS } from '../../../app/acts/receipt-check.ts';
import type { ReceiptClaims } from '../../../../commands/act-receipt.ts';
import { routeGroup } from '../../route-group.ts';
import { stringEnum } from '../../schema.ts';

export const RECEIPT_VERIFICATIONS_PATH = '/api/v1/public/receipts/verifications';

const hex64 = { type: 'string', pattern: '^[0-9a-f]{64}$' } as const;

/** A receipt as GET /api/v1/acts/{actId} hands it out (`receipt`). */
export const receiptSchema = {
  oneOf: [
    {
      type: 'object',
      required: ['status', 'jws', 'event', 'proof'],
      properties: {
        status: { type: 'string', enum: ['issued'] },
        jws: { type: 'string', maxLength: 8192, description: 'Compact JWS (typ `act-receipt+jwt`, EdDSA) by the ledger over the claims; keys at /.well-known/jwks.json' },
        event: { type: 'string', maxLength: 16384, description: 'Base64 of the canonical bytes of the act\'s ActAuthorized, whose `receiptCommitment` binds the claims' },
        proof: { type: 'string', maxLength: 16384, description: 'c2sp.org/tlog-proof@v1: the event\'s index, its inclusion proof and the signed checkpoint it is under' },
      },
      additionalProperties: false,
    },
    {
      type: 'object',
      required: ['status'],
      properties: { status: { type: 'string', enum: ['pending'], description: 'No signed checkpoint covers the authorization yet: read the act again in a few seconds' } },
      additionalProperties: false,
    },
  ],
} as const;

const verdictSchema = {
  type: 'object',
  required: ['genuine', 'inLog', 'matchesDocument', 'problems'],
  properties: {
    genuine: { type: 'boolean', description: 'The ledger signed these claims, and the event the receipt carries commits to them' },
    inLog: { type: 'boolean', description: 'That event is in the log, at the receipt\'s sequence, under a checkpoint signed with the log key' },
    matchesDocument: { type: ['boolean', 'null'], description: 'Whether `documentHash` is the document the receipt names; null when none was sent' },
    act: {
      type: 'object',
      description: 'What the receipt says, once its signature verified',
      required: ['actId', 'documentHash', 'nameSha256', 'descriptionSha256', 'providerId', 'providerName', 'method', 'loa', 'authorizedAt', 'sequence'],
      properties: {
        actId: { type: 'string' },
        documentHash: hex64,
        nameSha256: hex64,
        descriptionSha256: hex64,
        providerId: { type: 'string' },
        providerName: { type: 'string' },
        method: stringEnum(AUTHORIZATION_METHODS),
        loa: { type: ['string', 'null'], enum: [...LOAS, null] },
        authorizedAt: { type: 'string', format: 'date-time' },
        sequence: { type: 'integer', description: 'The authorization\'s number in log order (leaf sequence - 1)' },
      },
    },
    checkpoint: { type: 'object', required: ['origin', 'treeSize'], properties: { origin: { type: 'string' }, treeSize: { type: 'integer' } } },
    problems: { type: 'array', items: stringEnum(RECEIPT_PROBLEMS), description: 'Why what is false is false, one stable code each; empty when the receipt holds' },
  },
} as const;

/**
 * Checking a receipt against this ledger's published keys (the JWK set and the log key). It reads
 * nothing stored and looks nothing up, so it needs no captcha: the verdict depends only on what is
 * sent. A receipt that does not hold is still a 200 with its verdict; a body that is no receipt is a 400.
 */
export const receiptVerificationRoutes = routeGroup(['receiptVerification'], async (app, { services }) => {
  app.post(
    RECEIPT_VERIFICATIONS_PATH,
    {
      config: { rateLimit: { max: 120, timeWindow: '1 minute' }, fieldProblems: { documentHash: 'invalid-document-hash' } },
      schema: {
        tags: ['public'],
        operationId: 'verifyReceipt',
        security: [],
        summary: 'Is this receipt genuine, in the log, and for this document?',
        description:
          'Checks a receipt (the `receipt` of GET /api/v1/acts/{actId}) as anyone can offline: the JWS with /.well-known/jwks.json, ' +
          'the event\'s `receiptCommitment` = SHA-256(salt ‖ canonical JSON of the claims but sequence, position and salt), and the ' +
          'tlog-proof under a checkpoint signed with the key of GET /api/v1/audit/log-key. With `documentHash` (SHA-256 of the file, ' +
          'hex), also whether the receipt is for that file. `ledger audit receipt` does the same without the ledger.',
        body: {
          type: 'object',
          required: ['receipt'],
          properties: {
            receipt: receiptSchema,
            documentHash: { type: 'string', pattern: '^[0-9a-fA-F]{64}$', description: 'SHA-256 of the document: 64 hexadecimal digits in either case, as on POST /api/v1/public/verifications (the verify page computes it in the browser)' },
          },
          additionalProperties: false,
        },
        response: { 200: verdictSchema },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      const { receipt, documentHash } = request.body;
      const verdict = await services.receiptVerification.check(receipt, documentHash);
      return {
        genuine: verdict.genuine,
        inLog: verdict.inLog,
        matchesDocument: verdict.matchesDocument,
        ...(verdict.claims ? { act: shown(verdict.claims) } : {}),
        ...(verdict.checkpoint ? { checkpoint: verdict.checkpoint } : {}),
        problems: verdict.problems,
      };
    },
  );
});

/** The claims a verdict shows: all but the salt and the store's position (neither says anything to a reader). */
function shown({ salt: _salt, position: _position, ...act }: ReceiptClaims) {
  return act;
}
