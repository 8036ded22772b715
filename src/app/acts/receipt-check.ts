import { compactVerify, createLocalJWKSet, errors, type JSONWebKeySet } from 'jose';
import { canonicalEventBytes } from '../../../events/canonical.ts';
import { streamNames } from '../../../events/envelope.ts';
import { AUTHORIZATION_METHODS, LOAS } from '../../../events/act.ts';
import { RECEIPT_CLAIM_FIELDS, receiptCommitment, saltBytes, type ReceiptClaims } from '../../../commands/act-receipt.ts';
import { TlogError, leafHash, parseVerifierKey, verifyTlogProof, type NoteVerifier } from '../../../tlog/index.ts';
import { RECEIPT_TYPE } from './receipts.ts';

/**
 * Checking a receipt offline, with nothing but the ledger's published JWK set and the log's verifier
 * key: the public verification endpoint, the /verify page (through it) and `ledger audit receipt`
 * all use this, so they cannot disagree. No store, no network.
 */

/** Why a receipt does not hold, one stable code each (the HTTP edge publishes them). */
export const RECEIPT_PROBLEMS = [
  'receipt-malformed',
  'receipt-pending',
  'signature-invalid',
  'claims-malformed',
  'event-malformed',
  'event-not-of-act',
  'event-facts-differ',
  'commitment-mismatch',
  'proof-malformed',
  'checkpoint-not-signed',
  'inclusion-not-proven',
  'index-mismatch',
  'document-mismatch',
] as const;
export type ReceiptProblem = (typeof RECEIPT_PROBLEMS)[number];

export interface ReceiptVerdict {
  /** The ledger signed these claims, and the event the receipt carries commits to them. */
  genuine: boolean;
  /** That event is in the log, at the receipt's sequence, under a checkpoint the log key signed. */
  inLog: boolean;
  /** Whether the document given is the one the receipt names; null when none was given. */
  matchesDocument: boolean | null;
  /** The claims, once their signature verified. */
  claims?: ReceiptClaims;
  /** The signed checkpoint the proof is under, once it verified. */
  checkpoint?: { origin: string; treeSize: number };
  problems: ReceiptProblem[];
}

export interface ReceiptCheckKeys {
  /** The ledger's JWK set, as /.well-known/jwks.json serves it. */
  jwks: JSONWebKeySet;
  /** The log's verifier key text (`<name>+<hex id>+<base64>`), as GET /api/v1/audit/log-key serves it. */
  logKey: string;
}

/** Raised when the keys given cannot be used at all (a bad vkey, a JWK set without keys): the caller's setup, not the receipt. */
export class ReceiptKeysError extends Error {
  override readonly name = 'ReceiptKeysError';
}

/** The log verifier from its key text, or ReceiptKeysError. */
export function logVerifier(logKey: string): NoteVerifier {
  try {
    return parseVerifierKey(logKey.trim());
  } catch (error) {
    throw new ReceiptKeysError(`the log key is not a verifier key (${error instanceof Error ? error.message : 'unreadable'})`);
  }
}

/** `documentHash`: the SHA-256 (hex) of the file the receipt is checked against, if any. */
export async function checkReceipt(receipt: unknown, keys: ReceiptCheckKeys, documentHash?: string): Promise<ReceiptVerdict> {
  const verifier = logVerifier(keys.logKey);
  if (!Array.isArray(keys.jwks?.keys)) throw new ReceiptKeysError('the JWK set has no keys member');
  const problems: ReceiptProblem[] = [];
  const verdict = (parts: Partial<ReceiptVerdict> = {}): ReceiptVerdict => ({
    genuine: false,
    inLog: false,
    matchesDocument: documentHash === undefined ? null : false,
    ...parts,
    problems,
  });

  if (isObject(receipt) && receipt.status === 'pending') return (problems.push('receipt-pending'), verdict());
  if (!isObject(receipt) || receipt.status !== 'issued' || typeof receipt.jws !== 'string' || typeof receipt.event !== 'string' || typeof receipt.proof !== 'string') {
    return (problems.push('receipt-malformed'), verdict());
  }

  const claims = await verifiedClaims(receipt.jws, keys.jwks, problems);
  const event = openEvent(receipt.event, problems);
  let genuine = false;
  if (claims && event) genuine = commits(event, claims, problems);

  let inLog = false;
  let checkpoint: ReceiptVerdict['checkpoint'];
  if (event) {
    try {
      const proven = verifyTlogProof(receipt.proof, leafHash(event.bytes), [verifier], verifier.name);
      checkpoint = { origin: proven.checkpoint.origin, treeSize: proven.checkpoint.size };
      // The event is in the log whatever its JWS says; where the signed claims say it is, it must be there.
      if (claims && proven.index !== claims.sequence - 1) problems.push('index-mismatch');
      else inLog = true;
    } catch (error) {
      problems.push(proofProblem(error));
    }
  }

  const matchesDocument = documentHash === undefined ? null : claims !== undefined && claims.documentHash === documentHash.toLowerCase();
  if (matchesDocument === false && claims) problems.push('document-mismatch');
  return verdict({ genuine, inLog, matchesDocument, ...(claims ? { claims } : {}), ...(checkpoint ? { checkpoint } : {}) });
}

async function verifiedClaims(jws: string, jwks: JSONWebKeySet, problems: ReceiptProblem[]): Promise<ReceiptClaims | undefined> {
  let payload: Uint8Array;
  try {
    const verified = await compactVerify(jws, createLocalJWKSet(jwks), { algorithms: ['EdDSA'] });
    if (verified.protectedHeader.typ !== RECEIPT_TYPE) throw new errors.JWSInvalid('not a receipt');
    payload = verified.payload;
  } catch {
    problems.push('signature-invalid');
    return undefined;
  }
  const claims = parseJson(payload);
  if (!isClaims(claims)) {
    problems.push('claims-malformed');
    return undefined;
  }
  return claims;
}

interface OpenedEvent {
  bytes: Uint8Array;
  streamName: string;
  type: string;
  data: Record<string, unknown>;
}

/** The event's canonical bytes and what they say; refuses bytes that are not the canonical form of their own JSON. */
function openEvent(base64: string, problems: ReceiptProblem[]): OpenedEvent | undefined {
  const bytes = /^[A-Za-z0-9+/]*={0,2}$/.test(base64) ? new Uint8Array(Buffer.from(base64, 'base64')) : undefined;
  const parsed = bytes && parseJson(bytes);
  if (
    !bytes ||
    !isObject(parsed) ||
    typeof parsed.streamName !== 'string' ||
    typeof parsed.type !== 'string' ||
    !isObject(parsed.data) ||
    !isObject(parsed.metadata) ||
    !sameBytes(canonicalOrUndefined(parsed), bytes)
  ) {
    problems.push('event-malformed');
    return undefined;
  }
  return { bytes, streamName: parsed.streamName, type: parsed.type, data: parsed.data };
}

/** The event is this act's ActAuthorized, says what the claims say in its public part, and commits to them. */
function commits(event: OpenedEvent, claims: ReceiptClaims, problems: ReceiptProblem[]): boolean {
  if (event.type !== 'ActAuthorized' || event.streamName !== streamNames.act(claims.actId)) {
    problems.push('event-not-of-act');
    return false;
  }
  const { method, loa, authorizedAt } = event.data;
  if (method !== claims.method || loa !== claims.loa || authorizedAt !== claims.authorizedAt) {
    problems.push('event-facts-differ');
    return false;
  }
  if (event.data.receiptCommitment !== receiptCommitment(saltBytes(claims.salt)!, claims)) {
    problems.push('commitment-mismatch');
    return false;
  }
  return true;
}

function canonicalOrUndefined(parsed: Record<string, unknown>): Uint8Array | undefined {
  try {
    return canonicalEventBytes(parsed as unknown as Parameters<typeof canonicalEventBytes>[0]);
  } catch {
    return undefined;
  }
}

const sameBytes = (a: Uint8Array | undefined, b: Uint8Array) => a !== undefined && Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;

function proofProblem(error: unknown): ReceiptProblem {
  if (!(error instanceof TlogError)) throw error;
  switch (error.code) {
    case 'inclusion-not-proven':
    case 'invalid-tree-size':
      return 'inclusion-not-proven';
    case 'unverified-note':
    case 'invalid-signature':
    case 'origin-mismatch':
      return 'checkpoint-not-signed';
    default:
      return 'proof-malformed';
  }
}

const HEX64 = /^[0-9a-f]{64}$/;
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isString = (value: unknown): value is string => typeof value === 'string';

function isClaims(value: unknown): value is ReceiptClaims {
  if (!isObject(value)) return false;
  const names = Object.keys(value);
  if (names.length !== RECEIPT_CLAIM_FIELDS.length || !RECEIPT_CLAIM_FIELDS.every((f) => f in value)) return false;
  const c = value as Record<(typeof RECEIPT_CLAIM_FIELDS)[number], unknown>;
  return (
    isString(c.actId) &&
    isString(c.documentHash) && HEX64.test(c.documentHash) &&
    isString(c.nameSha256) && HEX64.test(c.nameSha256) &&
    isString(c.descriptionSha256) && HEX64.test(c.descriptionSha256) &&
    isString(c.providerId) &&
    isString(c.providerName) &&
    (AUTHORIZATION_METHODS as readonly unknown[]).includes(c.method) &&
    (c.loa === null || (LOAS as readonly unknown[]).includes(c.loa)) &&
    isString(c.authorizedAt) &&
    Number.isSafeInteger(c.sequence) && (c.sequence as number) >= 1 &&
    Number.isSafeInteger(c.position) && (c.position as number) >= 1 &&
    isString(c.salt) && saltBytes(c.salt) !== undefined
  );
}

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return undefined;
  }
}

/** The ledger checking receipts with its own published keys: what the public endpoint answers. */
export class ReceiptVerification {
  constructor(
    private readonly keys: { publicJwks(): JSONWebKeySet },
    /** The log's verifier key text. */
    readonly logKey: string,
  ) {}

  check(receipt: unknown, documentHash?: string): Promise<ReceiptVerdict> {
    return checkReceipt(receipt, { jwks: this.keys.publicJwks(), logKey: this.logKey }, documentHash);
  }
}
