import type { AuditEventType } from './audit.ts';
import { count, exactly, text, type JsonSchema } from './json-schema.ts';

/** 32 bytes in standard base64 with padding, as checkpoints write root hashes. */
const base64Hash = { type: 'string', pattern: '^[A-Za-z0-9+/]{43}=$' } as const;

/** The data of each event of the `ledger-checkpoints` stream. */
export const auditEventSchemas = {
  LedgerCheckpointed: exactly({ origin: text, treeSize: count, rootHash: base64Hash, checkpoint: text }),
} as const satisfies Record<AuditEventType, JsonSchema>;
