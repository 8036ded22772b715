import { createHash, createPublicKey, verify as verifySignature } from 'node:crypto';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LedgerKeys } from '../../src/app/ledger-keys.ts';
import { formatCheckpoint, signNote } from '../../tlog/index.ts';
import { actsOverHttp, AUDITED_ENV, AUDITOR_TOKEN, checkpointCoversLog, type FeedEntry, LOG_ORIGIN } from '../support/audited-server.ts';
import { startServer, type RunningServer } from '../support/server.ts';

// ---- an RFC 9162 / C2SP signed-note verifier written here, from the texts, with no ledger code ----

const sha256 = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest();
const leafHash = (data: Buffer) => sha256(Buffer.from([0]), data);
const nodeHash = (l: Buffer, r: Buffer) => sha256(Buffer.from([1]), l, r);
const largestPowerOfTwoBelow = (n: number) => {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
};

/** MTH (RFC 9162 2.1.1). */
function mth(leaves: Buffer[]): Buffer {
  if (leaves.length === 0) return sha256();
  if (leaves.length === 1) return leaves[0]!;
  const k = largestPowerOfTwoBelow(leaves.length);
  return nodeHash(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

/** SUBPROOF (RFC 9162 2.1.4.1): what an honest log would answer for a consistency proof. */
function subproof(m: number, leaves: Buffer[], b: boolean): Buffer[] {
  const n = leaves.length;
  if (m === n) return b ? [] : [mth(leaves)];
  const k = largestPowerOfTwoBelow(n);
  if (m <= k) return [...subproof(m, leaves.slice(0, k), b), mth(leaves.slice(k))];
  return [...subproof(m - k, leaves.slice(k), false), mth(leaves.slice(0, k))];
}

/** Consistency proof verification, RFC 9162 2.1.4.2, step by step (0 < first < second). */
function consistent(first: number, second: number, proof: Buffer[], firstHash: Buffer, secondHash: Buffer): boolean {
  if (proof.length === 0) return false;
  const path = (first & (first - 1)) === 0 ? [firstHash, ...proof] : [...proof];
  let fn = first - 1;
  let sn = second - 1;
  while (fn & 1) {
    fn >>= 1;
    sn >>= 1;
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn & 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (!(fn & 1) && fn !== 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return fr.equals(firstHash) && sr.equals(secondHash) && sn === 0;
}

/** Opens a C2SP signed note with an Ed25519 vkey and parses its tlog-checkpoint body; throws unless signed by that key. */
function openCheckpoint(note: string, vkey: string): { origin: string; size: number; root: Buffer } {
  // <name>+<hex id>+<base64>: the base64 may itself hold a '+', so only the first two separate.
  const text0 = vkey.trim();
  const first = text0.indexOf('+');
  const second = text0.indexOf('+', first + 1);
  const [name, idHex, keyB64] = [text0.slice(0, first), text0.slice(first + 1, second), text0.slice(second + 1)];
  const keyBytes = Buffer.from(keyB64, 'base64');
  if (keyBytes[0] !== 1 || keyBytes.length !== 33) throw new Error('not an Ed25519 vkey');
  const publicKey = keyBytes.subarray(1);
  const keyId = sha256(Buffer.from(`${name}\n`), Buffer.from([1]), publicKey).subarray(0, 4);
  if (keyId.toString('hex') !== idHex) throw new Error('the vkey id does not match its key');
  const split = note.lastIndexOf('\n\n');
  const text = note.slice(0, split + 1);
  const signed = note
    .slice(split + 2)
    .split('\n')
    .filter(Boolean)
    .some((line) => {
      const [dash, signer, sigB64] = line.split(' ');
      const sig = Buffer.from(sigB64 ?? '', 'base64');
      if (dash !== '—' || signer !== name || !sig.subarray(0, 4).equals(keyId)) return false;
      const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: publicKey.toString('base64url') }, format: 'jwk' });
      return verifySignature(null, Buffer.from(text, 'utf8'), key, sig.subarray(4));
    });
  if (!signed) throw new Error('no valid signature by the log key');
  const [origin, size, root] = text.split('\n') as [string, string, string];
  return { origin, size: Number(size), root: Buffer.from(root, 'base64') };
}

// -----------------------------------------------------------------------------------------------

describe('consistency between two checkpoints of the real server, checked with independent code', () => {
  let server: RunningServer;
  let vkey: string;
  let first: string;
  let second: string;
  let entries: FeedEntry[];

  beforeAll(async () => {
    server = await startServer(AUDITED_ENV);
    await actsOverHttp(server, { authorized: 1, failed: 0, pending: 2 });
    await checkpointCoversLog(server);
    first = await (await fetch(`${server.url}/tlog/checkpoint`)).text();
    await actsOverHttp(server, { authorized: 1, failed: 1, pending: 1 });
    entries = await checkpointCoversLog(server);
    second = await (await fetch(`${server.url}/tlog/checkpoint`)).text();
    vkey = await (await fetch(`${server.url}/api/v1/audit/log-key`)).text();
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
    if (server) rmSync(server.dataDir, { recursive: true, force: true });
  });

  const proofBetween = async (from: number, to: number) => {
    const res = await fetch(`${server.url}/api/v1/audit/proofs/consistency?from=${from}&to=${to}`, { headers: { authorization: `Bearer ${AUDITOR_TOKEN}` } });
    expect(res.status).toBe(200);
    return ((await res.json()) as { hashes: string[] }).hashes.map((h) => Buffer.from(h, 'base64'));
  };

  it("the ledger's proof shows the second checkpoint extends the first", async () => {
    const a = openCheckpoint(first, vkey);
    const b = openCheckpoint(second, vkey);
    expect(a.origin).toBe(LOG_ORIGIN);
    expect(0 < a.size && a.size < b.size).toBe(true);
    const proof = await proofBetween(a.size, b.size);
    expect(consistent(a.size, b.size, proof, a.root, b.root)).toBe(true);
    // The events themselves give the same roots, by this file's own hashing.
    const leaves = entries.map((e) => leafHash(Buffer.from(e.canonical, 'base64')));
    expect(mth(leaves.slice(0, a.size)).equals(a.root)).toBe(true);
    expect(mth(leaves.slice(0, b.size)).equals(b.root)).toBe(true);
    // Any hash of the proof changed, and it no longer holds.
    for (let i = 0; i < proof.length; i++) {
      const bent = proof.map((h, j) => (j === i ? Buffer.from(h.map((x, k) => (k === 0 ? x ^ 1 : x))) : h));
      expect(consistent(a.size, b.size, bent, a.root, b.root)).toBe(false);
    }
  });

  it('a checkpoint of a rewritten log, even signed with the real log key, is consistent with no earlier one', async () => {
    const a = openCheckpoint(first, vkey);
    const b = openCheckpoint(second, vkey);
    // The operator rewrites one event the first checkpoint covers and signs the result with the log key.
    const leaves = entries.slice(0, b.size).map((e) => leafHash(Buffer.from(e.canonical, 'base64')));
    const rewrittenBytes = Buffer.from(entries[1]!.canonical, 'base64');
    const at = rewrittenBytes.length - 3;
    rewrittenBytes[at] = rewrittenBytes[at]! ^ 0x01;
    leaves[1] = leafHash(rewrittenBytes);
    const rewrittenRoot = mth(leaves);
    const signer = (await LedgerKeys.open(server.dataDir)).logSigner(LOG_ORIGIN);
    const forged = signNote(formatCheckpoint({ origin: LOG_ORIGIN, size: b.size, rootHash: new Uint8Array(rewrittenRoot), extensions: [] }), [signer]);
    const c = openCheckpoint(forged, vkey);
    expect(c.root.equals(b.root)).toBe(false);
    // Neither the ledger's proof nor the one the rewritten tree itself gives links it to the first checkpoint.
    expect(consistent(a.size, c.size, await proofBetween(a.size, b.size), a.root, c.root)).toBe(false);
    expect(consistent(a.size, c.size, subproof(a.size, leaves, true), a.root, c.root)).toBe(false);
    // While the honest tree's own proof, computed here, does link the real pair.
    const honest = entries.slice(0, b.size).map((e) => leafHash(Buffer.from(e.canonical, 'base64')));
    expect(consistent(a.size, b.size, subproof(a.size, honest, true), a.root, b.root)).toBe(true);
  });
});
