import { SignJWT, importJWK, type CryptoKey, type KeyObject } from 'jose';
import { canonicalEventBytes } from '../../../events/canonical.ts';
import { streamNames, type RecordedEvent } from '../../../events/envelope.ts';
import type { ActEvent } from '../../../events/act.ts';
import { receiptCommitment, receiptContent, saltBytes, type ReceiptClaims } from '../../../commands/act-receipt.ts';
import { formatTlogProof, leafHash, verifyInclusion } from '../../../tlog/index.ts';
import type { EventStore } from '../../ports/event-store.ts';
import type { EventCodec } from '../command-handler.ts';
import type { LedgerKeys } from '../ledger-keys.ts';

/** The protected header `typ` of a receipt's JWS. */
export const RECEIPT_TYPE = 'act-receipt+jwt';

/**
 * What receipts need of the transparency log (the TransparencyLog service has it all): where an
 * event sits in the tree, the newest signed checkpoint, and inclusion proofs under it.
 */
export interface ReceiptLog {
  latestCheckpoint(): Promise<{ treeSize: number; rootHash: Uint8Array; checkpoint: string } | undefined>;
  inclusionProof(index: number, treeSize: number): Promise<Uint8Array[]>;
  sequenceOf(position: number): Promise<number | undefined>;
}

/**
 * A receipt as the provider reads it in the act: `issued` once a signed checkpoint covers the act's
 * ActAuthorized (everything needed to check it offline), `pending` until then.
 */
export type Receipt = { status: 'issued'; jws: string; event: string; proof: string } | { status: 'pending' };

/** Raised when the log's proof for an authorization does not verify: the ledger hands out no receipt that would fail. */
export class ReceiptIntegrityError extends Error {
  override readonly name = 'ReceiptIntegrityError';
}

export interface ActReceiptsDeps {
  store: Pick<EventStore, 'readStream'>;
  codec: EventCodec<ActEvent>;
  log: ReceiptLog;
  keys: LedgerKeys;
}

/**
 * Receipts for authorizations: the JWS over the claims (signed by the ledger's current key, the one
 * in /.well-known/jwks.json), the ActAuthorized's canonical bytes as stored, and a tlog-proof of that
 * event under the newest signed checkpoint. Built on demand from the act's stream and the log; nothing
 * about a receipt is stored, and EdDSA signatures are deterministic, so the same claims give the same JWS.
 */
/** Receipts kept in memory, most recently built last; a provider reads a result a few times. */
const CACHED_RECEIPTS = 10_000;

export class ActReceipts {
  private signingKey?: { kid: string; key: CryptoKey | KeyObject | Uint8Array };
  /**
   * Issued receipts by act: one is fixed by its checkpoint and signing key (the claims never change,
   * EdDSA is deterministic), so while both are the latest it is answered again without rebuilding.
   */
  private readonly issued = new Map<string, { treeSize: number; kid: string; receipt: Receipt }>();

  constructor(private readonly deps: ActReceiptsDeps) {}

  /**
   * The act's receipt; undefined when it has none: not authorized, authorized before receipts existed
   * (an ActAuthorized of version 1), or its registration no longer readable.
   */
  async of(actId: string): Promise<Receipt | undefined> {
    const { log } = this.deps;
    const checkpoint = await log.latestCheckpoint();
    const cached = this.issued.get(actId);
    if (cached && cached.kid === this.deps.keys.current.kid && cached.treeSize === checkpoint?.treeSize) return cached.receipt;
    const recorded = await this.deps.store.readStream(streamNames.act(actId));
    const authorizedEvent = recorded.find((r) => r.type === 'ActAuthorized');
    const registeredEvent = recorded.find((r) => r.type === 'ActRegistered');
    if (!authorizedEvent || !registeredEvent) return undefined;
    const claims = await this.claimsOf(registeredEvent, authorizedEvent);
    if (!claims) return undefined;

    const sequence = await log.sequenceOf(authorizedEvent.position);
    if (sequence === undefined || !checkpoint || checkpoint.treeSize < sequence) return { status: 'pending' };

    const event = canonicalEventBytes(authorizedEvent);
    const index = sequence - 1;
    const inclusionProof = await log.inclusionProof(index, checkpoint.treeSize);
    if (!verifyInclusion(leafHash(event), index, checkpoint.treeSize, inclusionProof, checkpoint.rootHash)) {
      throw new ReceiptIntegrityError(`act ${actId}: the log's inclusion proof of its authorization (sequence ${sequence}) does not verify under checkpoint ${checkpoint.treeSize}`);
    }
    const receipt: Receipt = {
      status: 'issued',
      jws: await this.sign({ ...claims, sequence, position: authorizedEvent.position }),
      event: Buffer.from(event).toString('base64'),
      proof: formatTlogProof({ index, inclusionProof, checkpoint: checkpoint.checkpoint }),
    };
    this.remember(actId, { treeSize: checkpoint.treeSize, kid: this.deps.keys.current.kid, receipt });
    return receipt;
  }

  private remember(actId: string, entry: { treeSize: number; kid: string; receipt: Receipt }): void {
    this.issued.delete(actId);
    this.issued.set(actId, entry);
    if (this.issued.size > CACHED_RECEIPTS) this.issued.delete(this.issued.keys().next().value!);
  }

  /** The claims but sequence and position, from the decoded events; undefined when they cannot be known. */
  private async claimsOf(registeredEvent: RecordedEvent, authorizedEvent: RecordedEvent): Promise<Omit<ReceiptClaims, 'sequence' | 'position'> | undefined> {
    const registered = await this.deps.codec.decode(registeredEvent);
    const authorized = await this.deps.codec.decode(authorizedEvent);
    if (registered.type !== 'ActRegistered' || authorized.type !== 'ActAuthorized') return undefined;
    const { actId, documentHash, name, description, providerId, providerName } = registered.data;
    const { method, loa, authorizedAt, receiptCommitment: commitment, receiptSalt } = authorized.data;
    if (commitment === undefined || receiptSalt === undefined) return undefined;
    if (documentHash === undefined || name === undefined || description === undefined) return undefined;
    const content = receiptContent({ actId, documentHash, name, description, providerId, providerName }, { method, loa, authorizedAt });
    const salt = saltBytes(receiptSalt);
    // The event was written by this ledger's decider from these very fields: a difference is damage, not a receipt.
    if (!salt || receiptCommitment(salt, content) !== commitment) {
      throw new ReceiptIntegrityError(`act ${actId}: the authorization's receipt commitment does not match the act as registered`);
    }
    return { ...content, salt: receiptSalt };
  }

  private async sign(claims: ReceiptClaims): Promise<string> {
    const current = this.deps.keys.current;
    if (this.signingKey?.kid !== current.kid) this.signingKey = { kid: current.kid, key: await importJWK(current.privateJwk, 'EdDSA') };
    // Exactly the claims: no iat, so a receipt read twice is the same receipt.
    return new SignJWT({ ...claims }).setProtectedHeader({ alg: 'EdDSA', typ: RECEIPT_TYPE, kid: current.kid }).sign(this.signingKey.key);
  }
}
