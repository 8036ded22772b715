import { createHash } from 'node:crypto';
import { canonicalJson } from '../events/canonical.ts';
import type { AuthorizationMethod, Loa } from '../events/act.ts';

/**
 * An authorization's receipt, the part the log binds. The ledger hands the holder a JWS over these
 * claims (with the event's sequence and position, and the salt); the log's ActAuthorized carries only
 * `receiptCommitment = SHA-256(salt ‖ UTF-8 canonicalJson(content))` in its public part, so the log
 * proves what the receipt says without holding the document hash, the act's texts or who the
 * provider is in clear (the salt is sealed in the event and sits in the receipt, nowhere else).
 * Pure: the salt comes in with the command (32 random bytes the app draws).
 */

/** What the commitment covers: every claim of the receipt except where the event sits and the salt. */
export interface ReceiptContent {
  actId: string;
  documentHash: string;
  /** hex SHA-256 of the UTF-8 act name: the receipt never carries the texts themselves. */
  nameSha256: string;
  descriptionSha256: string;
  providerId: string;
  providerName: string;
  method: AuthorizationMethod;
  loa: Loa | null;
  authorizedAt: string;
}

/** The receipt's claims as its JWS carries them. */
export interface ReceiptClaims extends ReceiptContent {
  /** The ActAuthorized's number in log order: leaf `sequence - 1` of the log's tree. */
  sequence: number;
  /** The store's cursor of that event (informative: sequences are what proofs count by). */
  position: number;
  /** base64url of the 32 salt bytes. */
  salt: string;
}

export const RECEIPT_SALT_BYTES = 32;
export const RECEIPT_CONTENT_FIELDS = ['actId', 'documentHash', 'nameSha256', 'descriptionSha256', 'providerId', 'providerName', 'method', 'loa', 'authorizedAt'] as const;
export const RECEIPT_CLAIM_FIELDS = [...RECEIPT_CONTENT_FIELDS, 'sequence', 'position', 'salt'] as const;

const sha256Hex = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');

/** The act as registered (unsealed) and the authorization's facts, as the commitment sees them. */
export function receiptContent(
  act: { actId: string; documentHash: string; name: string; description: string; providerId: string; providerName: string },
  authorization: { method: AuthorizationMethod; loa: Loa | null; authorizedAt: string },
): ReceiptContent {
  return {
    actId: act.actId,
    documentHash: act.documentHash,
    nameSha256: sha256Hex(Buffer.from(act.name, 'utf8')),
    descriptionSha256: sha256Hex(Buffer.from(act.description, 'utf8')),
    providerId: act.providerId,
    providerName: act.providerName,
    method: authorization.method,
    loa: authorization.loa,
    authorizedAt: authorization.authorizedAt,
  };
}

/** Only the content's own members, in no particular order: a claims object with more passes through as its content. */
export function contentOf(claims: ReceiptContent): ReceiptContent {
  return Object.fromEntries(RECEIPT_CONTENT_FIELDS.map((f) => [f, claims[f]])) as unknown as ReceiptContent;
}

/** hex SHA-256( salt bytes ‖ UTF-8 canonical JSON of the content ). */
export function receiptCommitment(salt: Uint8Array, content: ReceiptContent): string {
  return createHash('sha256').update(salt).update(canonicalJson(contentOf(content)), 'utf8').digest('hex');
}

/** The salt's bytes from its base64url text, or undefined when it is not exactly 32 bytes of base64url. */
export function saltBytes(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]{43}$/.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.length === RECEIPT_SALT_BYTES && bytes.toString('base64url') === text ? new Uint8Array(bytes) : undefined;
}
