import type { AuditEventType } from '../../../events/audit.ts';
import { canonicalJson } from '../../../events/canonical.ts';
import { streamNames } from '../../../events/envelope.ts';
import { fromBase64 } from '../../../tlog/index.ts';

/**
 * One line of the audit feed (or of an export of it), checked on its own: its fields are there,
 * its canonical bytes are canonical JSON, and what the line says beside them agrees with them.
 */
export interface CheckedEntry {
  position: number;
  sequence: number;
  streamName: string;
  revision: number;
  type: string;
  /** The canonical bytes the leaf hashes. */
  bytes: Uint8Array;
  /** The event's data, as the canonical bytes hold it. */
  data: unknown;
}

/** Why a line is refused: the verifier's stable code and what was wrong. */
export type EntryProblem = { code: 'malformed-entry' | 'not-canonical' | 'entry-mismatch'; detail: string; position?: number; sequence?: number };

export const CHECKPOINT_EVENT_TYPE: AuditEventType = 'LedgerCheckpointed';
export const CHECKPOINT_STREAM = streamNames.checkpoints;

const utf8 = new TextDecoder('utf-8', { fatal: true });
const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Parses and checks one NDJSON line; answers the entry or the problem with it. */
export function checkEntry(line: string): CheckedEntry | EntryProblem {
  let entry: unknown;
  try {
    entry = JSON.parse(line);
  } catch {
    return { code: 'malformed-entry', detail: 'the line is not JSON' };
  }
  if (!isRecord(entry)) return { code: 'malformed-entry', detail: 'the line is not a JSON object' };
  const { position, sequence, streamName, revision, type, metadata, canonical } = entry;
  const at = { ...(isCount(position) ? { position } : {}), ...(isCount(sequence) ? { sequence } : {}) };
  if (!isCount(position) || !isCount(sequence) || !isCount(revision) || typeof streamName !== 'string' || typeof type !== 'string' || !isRecord(metadata) || typeof canonical !== 'string') {
    return { code: 'malformed-entry', detail: 'the line lacks position, sequence, streamName, revision, type, metadata or canonical', ...at };
  }
  const bytes = fromBase64(canonical);
  if (!bytes) return { code: 'not-canonical', detail: 'canonical is not standard base64', ...at };
  let text: string;
  let event: unknown;
  try {
    text = utf8.decode(bytes);
    event = JSON.parse(text);
  } catch {
    return { code: 'not-canonical', detail: 'the canonical bytes are not UTF-8 JSON', ...at };
  }
  let again: string | undefined;
  try {
    again = canonicalJson(event);
  } catch {
    // a value JCS refuses: not canonical either
  }
  if (again !== text) return { code: 'not-canonical', detail: 'the canonical bytes are JSON but not their RFC 8785 serialization', ...at };
  if (!isRecord(event) || !('data' in event) || !isRecord(event.metadata)) return { code: 'not-canonical', detail: 'the canonical bytes lack data or metadata', ...at };
  if (event.streamName !== streamName || event.type !== type || canonicalJson(event.metadata) !== canonicalJson(metadata)) {
    return { code: 'entry-mismatch', detail: 'the stream, type or metadata beside the canonical bytes differ from theirs', ...at };
  }
  return { position, sequence, streamName, revision, type, bytes, data: event.data };
}

export const isEntryProblem = (x: CheckedEntry | EntryProblem): x is EntryProblem => 'code' in x;

/** The signed checkpoint a LedgerCheckpointed event records, with the fields it states beside it. */
export interface RecordedCheckpoint {
  origin: string;
  treeSize: number;
  rootHash: string;
  note: string;
}

/** The checkpoint recorded by an entry, undefined when the entry is no LedgerCheckpointed, or a text saying why it is malformed. */
export function recordedCheckpoint(entry: CheckedEntry): RecordedCheckpoint | undefined | string {
  if (entry.type !== CHECKPOINT_EVENT_TYPE || entry.streamName !== CHECKPOINT_STREAM) return undefined;
  const data = entry.data;
  if (!isRecord(data) || typeof data.origin !== 'string' || !isCount(data.treeSize) || typeof data.rootHash !== 'string' || typeof data.checkpoint !== 'string') {
    return 'a LedgerCheckpointed event lacks origin, treeSize, rootHash or checkpoint';
  }
  return { origin: data.origin, treeSize: data.treeSize, rootHash: data.rootHash, note: data.checkpoint };
}
