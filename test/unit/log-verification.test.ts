import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../events/canonical.ts';
import { verifyLog } from '../../src/app/audit/log-verification.ts';
import { generateNoteKey, leafHash, merkleTreeHash, openCheckpoint, parseVerifierKey, toBase64 } from '../../tlog/index.ts';
import { type FeedLine, leafTiles, leavesOf, memorySource, ORIGIN, renumbered, syntheticLog } from '../support/synthetic-log.ts';

// 600 events with a checkpoint after every 100: 606 lines, tiles 0..2 (the last one partial).
const log = syntheticLog({ events: 600, checkpointEvery: 100 });
const latest = log.checkpoints.at(-1)!;
const latestSize = openCheckpoint(latest, [parseVerifierKey(log.verifierKey!)]).size;
const tiles = leafTiles(leavesOf(log.lines), latestSize);

const online = (lines: readonly FeedLine[] | readonly string[], extra: Partial<Parameters<typeof memorySource>[0]> = {}) =>
  verifyLog(memorySource({ lines, logKey: log.verifierKey!, latest, tiles, ...extra }));
const offline = (lines: readonly FeedLine[]) => verifyLog(memorySource({ lines, logKey: log.verifierKey! }));

/** The line with one byte of its canonical bytes changed inside a JSON string: still canonical JSON. */
function flipByte(line: FeedLine): FeedLine {
  const bytes = Buffer.from(line.canonical, 'base64');
  const at = bytes.indexOf('aaaa') + 1;
  bytes[at] = bytes[at]! ^ 0x03; // 'a' -> 'b'
  return { ...line, canonical: bytes.toString('base64') };
}

describe('ledger audit verify, the engine, over a synthetic log', () => {
  it('verifies an untouched log: every leaf, every recorded checkpoint, their consistency and the served one', async () => {
    const result = await online(log.lines);
    expect(result.divergence).toBeUndefined();
    expect(result.events).toBe(606);
    expect(result.checkpoints).toBe(6);
    expect(result.root).toEqual({ size: latestSize, hash: merkleTreeHash(leavesOf(log.lines).slice(0, latestSize)) });
    expect(result.summaries.map((s) => s.check)).toEqual(['entries', 'order', 'streams', 'leaves', 'checkpoints', 'consistency', 'latest']);
    expect(result.summaries.every((s) => s.passed)).toBe(true);
    expect(result.summaries.find((s) => s.check === 'leaves')!.text).toMatch(/^605 leaves/);
    expect(result.summaries.find((s) => s.check === 'consistency')!.text).toMatch(/^5 successive/);
  });

  it('names the event whose byte was flipped by its position and sequence', async () => {
    const lines = log.lines.map((l) => (l.sequence === 250 ? flipByte(l) : l));
    const { divergence } = await online(lines);
    expect(divergence).toMatchObject({ code: 'leaf-mismatch', position: 250 * 7, sequence: 250 });
  });

  it('without published leaves, names the checkpoint interval the flipped event is in', async () => {
    const lines = log.lines.map((l) => (l.sequence === 250 ? flipByte(l) : l));
    const { divergence } = await offline(lines);
    // Checkpoints of 100 (recorded as event 101), 201 (as 202), 302 (as 303): the flip shows at the third.
    expect(divergence).toMatchObject({ code: 'checkpoint-root-mismatch', between: { fromSequence: 202, toSequence: 302, fromPosition: 202 * 7, toPosition: 302 * 7 } });
  });

  it('names the place of a dropped event: the next one holds its sequence', async () => {
    const lines = renumbered(log.lines.filter((l) => l.sequence !== 333));
    const { divergence } = await online(lines);
    expect(divergence).toMatchObject({ code: 'leaf-mismatch', position: 334 * 7, sequence: 333 });
  });

  it('a dropped event shows as a gap in its stream without published leaves', async () => {
    const lines = renumbered(log.lines.filter((l) => l.sequence !== 333));
    const dropped = log.lines[332]!;
    const next = lines.find((l) => l.streamName === dropped.streamName && l.position > dropped.position)!;
    const { divergence } = await offline(lines);
    expect(divergence).toMatchObject({ code: 'revision-gap', position: next.position, sequence: next.sequence });
  });

  it('names the first of two reordered events', async () => {
    const swapped = [...log.lines];
    [swapped[409], swapped[419]] = [{ ...swapped[419]!, position: swapped[409]!.position }, { ...swapped[409]!, position: swapped[419]!.position }];
    const { divergence } = await online(renumbered(swapped));
    expect(divergence).toMatchObject({ code: 'leaf-mismatch', position: 410 * 7, sequence: 410 });
  });

  it('refuses canonical bytes that are JSON but not canonical JSON', async () => {
    const lines = log.lines.map((l) => {
      if (l.sequence !== 17) return l;
      const event = JSON.parse(Buffer.from(l.canonical, 'base64').toString('utf8')) as object;
      return { ...l, canonical: Buffer.from(JSON.stringify(event, null, 1)).toString('base64') };
    });
    expect((await online(lines)).divergence).toMatchObject({ code: 'not-canonical', position: 17 * 7, sequence: 17 });
  });

  it('refuses a line whose stream or type disagrees with its canonical bytes', async () => {
    const lines = log.lines.map((l) => (l.sequence === 18 ? { ...l, type: 'ActAuthorized' } : l));
    expect((await online(lines)).divergence).toMatchObject({ code: 'entry-mismatch', position: 18 * 7, sequence: 18 });
  });

  it('refuses a gap in the sequences and positions that go back', async () => {
    expect((await online(log.lines.filter((l) => l.sequence !== 40))).divergence).toMatchObject({ code: 'sequence-gap', sequence: 41 });
    const back = log.lines.map((l) => (l.sequence === 41 ? { ...l, position: 39 * 7 } : l));
    expect((await online(back)).divergence).toMatchObject({ code: 'position-order', sequence: 41 });
  });

  it('refuses a recorded checkpoint signed by another key, at the event recording it', async () => {
    const other = syntheticLog({ events: 600, checkpointEvery: 100, signerKey: generateNoteKey(ORIGIN).signerKey });
    const forged = other.lines[100]!; // the first LedgerCheckpointed, same size and root, another signer
    const lines = log.lines.map((l) => (l.sequence === 101 ? forged : l));
    expect((await offline(lines)).divergence).toMatchObject({ code: 'checkpoint-signature', position: 101 * 7, sequence: 101 });
  });

  it('refuses a served checkpoint of a rewritten log and one smaller than the last recorded', async () => {
    const leaves = leavesOf(log.lines).slice(0, latestSize);
    leaves[10] = leafHash(new TextEncoder().encode(canonicalJson({ rewritten: true })));
    const rewritten = log.sign(latestSize, merkleTreeHash(leaves));
    expect((await online(log.lines, { latest: rewritten, tiles: undefined })).divergence).toMatchObject({ check: 'latest', code: 'checkpoint-root-mismatch' });
    const rolledBack = log.checkpoints[2]!;
    expect((await online(log.lines, { latest: rolledBack })).divergence).toMatchObject({ check: 'consistency', code: 'checkpoint-shrank' });
  });

  it("refuses a served checkpoint that covers events the log no longer holds", async () => {
    const lines = log.lines.slice(0, 500);
    expect((await online(lines)).divergence).toMatchObject({ code: 'checkpoint-beyond-log' });
  });

  it("holds the ledger's consistency proofs against both signed roots", async () => {
    const bogus = await online(log.lines, { consistencyProof: async () => [] });
    expect(bogus.divergence).toMatchObject({ code: 'checkpoint-inconsistent', position: 202 * 7, sequence: 202 });
  });

  it('reports a malformed log key and a source that fails, never throwing', async () => {
    expect((await verifyLog(memorySource({ lines: log.lines, logKey: 'not a key' }))).divergence).toMatchObject({ code: 'log-key-malformed' });
    const failing = { ...memorySource({ lines: log.lines, logKey: log.verifierKey! }), lines: async function* () { yield JSON.stringify(log.lines[0]); throw new Error('connection reset'); } };
    expect((await verifyLog(failing)).divergence).toMatchObject({ code: 'source-failed', detail: 'connection reset' });
  });

  it('checks a log with no checkpoint at all by its entries alone', async () => {
    const result = await verifyLog(memorySource({ lines: log.lines.slice(0, 50), logKey: log.verifierKey! }));
    expect(result.divergence).toBeUndefined();
    expect(result.root).toEqual({ size: 50, hash: merkleTreeHash(leavesOf(log.lines.slice(0, 50))) });
    expect(toBase64(result.root.hash)).toHaveLength(44);
  });
});
