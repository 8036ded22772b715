import type { DomainEvent } from './envelope.ts';

/**
 * The `ledger-checkpoints` stream: each signed checkpoint of the log's Merkle tree. `checkpoint` is
 * the C2SP signed note (a `tlog-checkpoint` body and its Ed25519 signature line) exactly as served
 * at /tlog/checkpoint; `origin`, `treeSize` and `rootHash` (standard base64) repeat its body so a
 * reader need not parse the note. The checkpoint of size N covers the events numbered 1..N; this
 * event itself is a later leaf of the same tree.
 */
export type AuditEvent = DomainEvent<'LedgerCheckpointed', { origin: string; treeSize: number; rootHash: string; checkpoint: string }>;

export type AuditEventType = AuditEvent['type'];

export const auditEventTypes = ['LedgerCheckpointed'] as const satisfies ReadonlyArray<AuditEventType>;
