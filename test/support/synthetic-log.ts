import { canonicalEventBytes } from '../../events/canonical.ts';
import type { AuditLogSource } from '../../src/app/audit/log-verification.ts';
import {
  concatBytes,
  formatCheckpoint,
  generateNoteKey,
  type Hash,
  leafHash,
  merkleTreeHash,
  parseSignerKey,
  signNote,
  TILE_WIDTH,
  toBase64,
} from '../../tlog/index.ts';

/** One feed line as the ledger writes it, before JSON. */
export interface FeedLine {
  position: number;
  sequence: number;
  streamName: string;
  revision: number;
  type: string;
  metadata: Record<string, unknown>;
  canonical: string;
}

export const ORIGIN = 'ledger.example/act-ledger';

/**
 * A log built the way the ledger builds its own, for the verifier's unit tests: events in a few
 * streams, and a LedgerCheckpointed event (a signed C2SP checkpoint) after every `checkpointEvery`
 * other events. Sparse positions (steps of 7), as EventStoreDB's are, so nothing counts with them.
 */
export function syntheticLog(options: { events: number; checkpointEvery: number; signerKey?: string }) {
  const key = options.signerKey ? { signerKey: options.signerKey, verifierKey: '' } : generateNoteKey(ORIGIN);
  const signer = parseSignerKey(key.signerKey);
  const lines: FeedLine[] = [];
  const revisions = new Map<string, number>();
  const checkpoints: string[] = [];
  const append = (streamName: string, type: string, data: Record<string, unknown>) => {
    const revision = revisions.get(streamName) ?? 0;
    revisions.set(streamName, revision + 1);
    const sequence = lines.length + 1;
    const metadata = { eventId: `event-${sequence}`, correlationId: `c-${sequence}`, occurredAt: new Date(Date.UTC(2026, 0, 1, 0, 0, sequence)).toISOString(), actor: 'test', schemaVersion: 1 };
    lines.push({ position: sequence * 7, sequence, streamName, revision, type, metadata, canonical: toBase64(canonicalEventBytes({ streamName, type, data, metadata })) });
  };
  const checkpoint = (size: number, root: Hash) => {
    const note = signNote(formatCheckpoint({ origin: ORIGIN, size, rootHash: root, extensions: [] }), [signer]);
    checkpoints.push(note);
    append('ledger-checkpoints', 'LedgerCheckpointed', { origin: ORIGIN, treeSize: size, rootHash: toBase64(root), checkpoint: note });
  };
  let since = 0;
  for (let i = 0; i < options.events; i++) {
    append(`act-${i % 5}`, 'ActRegistered', { actId: `act-${i % 5}`, documentHash: `${i}`.padStart(64, 'a'), name: 'sealed:abcdef' });
    if (++since === options.checkpointEvery) {
      since = 0;
      checkpoint(lines.length, merkleTreeHash(leavesOf(lines)));
    }
  }
  return { lines, checkpoints, signerKey: key.signerKey, verifierKey: key.verifierKey || undefined, sign: (size: number, root: Hash) => signNote(formatCheckpoint({ origin: ORIGIN, size, rootHash: root, extensions: [] }), [signer]) };
}

export const leavesOf = (lines: readonly FeedLine[]): Hash[] => lines.map((l) => leafHash(new Uint8Array(Buffer.from(l.canonical, 'base64'))));

/** The lines renumbered as the ledger's feed numbers what the store holds: 1, 2, 3 in order. */
export const renumbered = (lines: readonly FeedLine[]): FeedLine[] => lines.map((l, i) => ({ ...l, sequence: i + 1 }));

/** Level-0 tiles of a tree of `size` leaves, by tile index, as /tlog/tile/0/... would serve them. */
export function leafTiles(leaves: readonly Hash[], size: number): Map<number, Uint8Array> {
  const tiles = new Map<number, Uint8Array>();
  for (let start = 0; start < size; start += TILE_WIDTH) tiles.set(start / TILE_WIDTH, concatBytes(...leaves.slice(start, Math.min(start + TILE_WIDTH, size))));
  return tiles;
}

/** A source over lines in memory. */
export function memorySource(options: { lines: readonly FeedLine[] | readonly string[]; logKey: string; latest?: string; tiles?: Map<number, Uint8Array>; consistencyProof?: AuditLogSource['consistencyProof'] }): AuditLogSource {
  const { lines, logKey, latest, tiles, consistencyProof } = options;
  return {
    logKey: async () => `${logKey}\n`,
    latestCheckpoint: async () => latest,
    async *lines() {
      for (const line of lines) yield typeof line === 'string' ? line : JSON.stringify(line);
    },
    ...(tiles ? { leafTile: async (index: number, width: number) => tiles.get(index)?.slice(0, width * 32) } : {}),
    ...(consistencyProof ? { consistencyProof } : {}),
  };
}
