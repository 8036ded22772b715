import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import type { Ledger } from '../../src/composition/ledger.ts';
import type { AuditEntry } from '../../src/app/audit/audit-feed.ts';
import {
  fromBase64,
  leafHash,
  merkleTreeHash,
  openCheckpoint,
  parseVerifierKey,
  verifyConsistency,
  verifyInclusion,
  type Hash,
} from '../../tlog/index.ts';
import { ADMIN_TOKEN, testLedger } from '../support/ledger.ts';
import { projectionsCaughtUp } from '../support/act-flows.ts';
import { appendActHistory } from '../support/act-history.ts';

const AUDITOR = 'auditor-token-0123456789abcdef-0123456789';
const ORIGIN = 'ledger.test.example/act-ledger';
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

function expectProblem(res: LightMyRequestResponse, status: number, type: string): void {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect((res.json() as { type: string }).type).toBe(`urn:problem:act-ledger:${type}`);
}

describe('the log as a transparency log', () => {
  let ledger: Ledger;
  const get = (url: string, headers: Record<string, string> = {}) => ledger.app.inject({ method: 'GET', url, headers });
  const checkpointNow = async () => {
    const res = await ledger.app.inject({ method: 'POST', url: '/api/v1/audit/checkpoints', headers: bearer(AUDITOR) });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { signed: boolean; treeSize: number; checkpoint: string };
  };
  /** Every event of the log as the audit feed gives it. */
  const feed = async (): Promise<AuditEntry[]> => {
    await projectionsCaughtUp(ledger);
    const res = await get('/api/v1/audit/events?limit=10000', bearer(AUDITOR));
    return res.body.split('\n').filter(Boolean).map((l) => JSON.parse(l) as AuditEntry);
  };
  const leavesOf = (entries: AuditEntry[]): Hash[] => entries.map((e) => leafHash(fromBase64(e.canonical)!));
  const verifier = async () => parseVerifierKey((await get('/api/v1/audit/log-key')).body.trim());

  beforeAll(async () => {
    ledger = await testLedger({ LEDGER_AUDITOR_TOKEN: AUDITOR, LEDGER_LOG_ORIGIN: ORIGIN });
    const { eventStore: store, actCodec: codec, keyVault: vault } = ledger.services;
    await appendActHistory({ store, codec, vault }, { seed: 15, acts: 120 });
    await projectionsCaughtUp(ledger);
  });
  afterAll(() => ledger.close());

  it('publishes its verifier key in C2SP vkey form, named by the origin, without a token', async () => {
    const res = await get('/api/v1/audit/log-key');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toMatch(new RegExp(`^${ORIGIN.replace(/[./]/g, '\\$&')}\\+[0-9a-f]{8}\\+[A-Za-z0-9+/]+=*\\n$`));
    expect((await verifier()).name).toBe(ORIGIN);
  });

  it('signs a checkpoint whose root is the RFC 6962 tree of every event so far, and does not sign again for its own event', async () => {
    const first = await checkpointNow();
    expect(first.signed).toBe(true);
    const entries = await feed();
    // The checkpoint covers what came before it; its own LedgerCheckpointed is the next leaf.
    expect(entries[first.treeSize]?.type).toBe('LedgerCheckpointed');
    const opened = openCheckpoint(first.checkpoint, [await verifier()], ORIGIN);
    expect(opened.size).toBe(first.treeSize);
    expect(Buffer.from(opened.rootHash)).toEqual(Buffer.from(merkleTreeHash(leavesOf(entries.slice(0, first.treeSize)))));
    const published = await get('/tlog/checkpoint');
    expect(published.statusCode).toBe(200);
    expect(published.headers['cache-control']).toMatch(/max-age=\d+/);
    expect(published.body).toBe(first.checkpoint);

    const again = await checkpointNow();
    expect(again).toMatchObject({ signed: false, treeSize: first.treeSize });
    expect((await feed()).filter((e) => e.type === 'LedgerCheckpointed')).toHaveLength(1);
  });

  it('proves inclusion of events under a signed checkpoint, and consistency between checkpoints', async () => {
    const first = await checkpointNow();
    const { eventStore: store, actCodec: codec, keyVault: vault } = ledger.services;
    await appendActHistory({ store, codec, vault }, { seed: 16, acts: 40 });
    await projectionsCaughtUp(ledger);
    const second = await checkpointNow();
    expect(second.signed).toBe(true);
    expect(second.treeSize).toBeGreaterThan(first.treeSize);
    const entries = await feed();
    const root2 = openCheckpoint(second.checkpoint, [await verifier()], ORIGIN).rootHash;
    const root1 = openCheckpoint(first.checkpoint, [await verifier()], ORIGIN).rootHash;

    for (const entry of [entries[0]!, entries[7]!, entries[first.treeSize - 1]!, entries[second.treeSize - 1]!]) {
      const res = await get(`/api/v1/audit/proofs/inclusion?position=${entry.position}`, bearer(AUDITOR));
      expect(res.statusCode, res.body).toBe(200);
      const proof = res.json() as { index: number; treeSize: number; leafHash: string; hashes: string[]; checkpoint: string };
      expect(proof).toMatchObject({ index: entry.sequence - 1, treeSize: second.treeSize, checkpoint: second.checkpoint });
      const leaf = leafHash(fromBase64(entry.canonical)!);
      expect(proof.leafHash).toBe(Buffer.from(leaf).toString('base64'));
      expect(verifyInclusion(leaf, proof.index, proof.treeSize, proof.hashes.map((h) => fromBase64(h)!), root2)).toBe(true);
      // The same proof does not hold for another leaf.
      expect(verifyInclusion(leafHash(fromBase64(entries[3]!.canonical)!), proof.index === 3 ? 4 : proof.index, proof.treeSize, proof.hashes.map((h) => fromBase64(h)!), root2)).toBe(false);
    }
    const old = await get(`/api/v1/audit/proofs/inclusion?position=${entries[2]!.position}&treeSize=${first.treeSize}`, bearer(AUDITOR));
    const oldProof = old.json() as { hashes: string[] };
    expect(verifyInclusion(leafHash(fromBase64(entries[2]!.canonical)!), 2, first.treeSize, oldProof.hashes.map((h) => fromBase64(h)!), root1)).toBe(true);

    const res = await get(`/api/v1/audit/proofs/consistency?from=${first.treeSize}&to=${second.treeSize}`, bearer(AUDITOR));
    expect(res.statusCode, res.body).toBe(200);
    const consistency = res.json() as { hashes: string[]; fromCheckpoint: string; toCheckpoint: string };
    expect(consistency).toMatchObject({ fromCheckpoint: first.checkpoint, toCheckpoint: second.checkpoint });
    expect(verifyConsistency(first.treeSize, second.treeSize, consistency.hashes.map((h) => fromBase64(h)!), root1, root2)).toBe(true);
    expect(verifyConsistency(first.treeSize, second.treeSize, consistency.hashes.map((h) => fromBase64(h)!), root2, root2)).toBe(false);
  });

  it('serves hash tiles as tlog-tiles lays them out: level 0 holds the leaf hashes, level 1 the 256-leaf subtrees', async () => {
    const entries = await feed();
    const size = await ledger.services.transparencyLog.treeSize();
    expect(size).toBeGreaterThan(256);
    const full = await get('/tlog/tile/0/000');
    expect(full.statusCode).toBe(200);
    expect(full.headers['content-type']).toBe('application/octet-stream');
    expect(full.headers['cache-control']).toMatch(/immutable/);
    expect(Buffer.from(full.rawPayload)).toEqual(Buffer.concat(leavesOf(entries.slice(0, 256))));
    // The rightmost tile is partial: its first W hashes are there, W+1 is not yet.
    const last = Math.floor(size / 256);
    const width = size % 256 || 1;
    const index = (n: number) => String(n).padStart(3, '0');
    const partial = await get(`/tlog/tile/0/${index(last)}.p/${width}`);
    expect(partial.statusCode).toBe(200);
    expect(Buffer.from(partial.rawPayload)).toEqual(Buffer.concat(leavesOf(entries.slice(last * 256, last * 256 + width))));
    if (width < 255) expectProblem(await get(`/tlog/tile/0/${index(last)}.p/${width + 1}`), 404, 'tile-not-found');
    const level1 = await get('/tlog/tile/1/000.p/1');
    expect(Buffer.from(level1.rawPayload)).toEqual(Buffer.from(merkleTreeHash(leavesOf(entries.slice(0, 256)))));

    expectProblem(await get(`/tlog/tile/0/999`), 404, 'tile-not-found');
    expectProblem(await get('/tlog/tile/0/0'), 404, 'tile-not-found');
    expectProblem(await get('/tlog/tile/entries/000'), 404, 'tile-not-found');
  });

  it('serves entry bundles to auditors only: the canonical bytes of 256 events, each behind its length', async () => {
    const entries = await feed();
    const size = await ledger.services.transparencyLog.treeSize();
    const bundle = await get('/api/v1/audit/tile/entries/000', bearer(AUDITOR));
    expect(bundle.statusCode, bundle.body).toBe(200);
    const bytes = Buffer.from(bundle.rawPayload);
    const parsed: Buffer[] = [];
    for (let at = 0; at < bytes.length; ) {
      const length = bytes.readUInt16BE(at);
      parsed.push(bytes.subarray(at + 2, at + 2 + length));
      at += 2 + length;
    }
    expect(parsed).toEqual(entries.slice(0, 256).map((e) => Buffer.from(e.canonical, 'base64')));
    const last = Math.floor(size / 256);
    const width = size % 256 || 1;
    const partial = await get(`/api/v1/audit/tile/entries/${String(last).padStart(3, '0')}.p/${width}`, bearer(AUDITOR));
    expect(partial.statusCode, partial.body).toBe(200);
    expectProblem(await get('/api/v1/audit/tile/entries/000'), 401, 'unauthorized');
    expectProblem(await get('/api/v1/audit/tile/entries/999', bearer(AUDITOR)), 404, 'tile-not-found');
  });

  it('keeps proofs behind the auditor token and refuses what the tree does not hold', async () => {
    const entries = await feed();
    const url = `/api/v1/audit/proofs/inclusion?position=${entries[0]!.position}`;
    expectProblem(await get(url), 401, 'unauthorized');
    expectProblem(await get(url, bearer(ADMIN_TOKEN)), 403, 'auditor-token-required');
    expectProblem(await ledger.app.inject({ method: 'POST', url: '/api/v1/audit/checkpoints', headers: bearer(ADMIN_TOKEN) }), 403, 'auditor-token-required');
    expectProblem(await get(`${url}&treeSize=99999999`, bearer(AUDITOR)), 404, 'tree-not-that-large');
    expectProblem(await get(`/api/v1/audit/proofs/inclusion?position=${entries[0]!.position + 0.5}`, bearer(AUDITOR)), 400, 'invalid-request');
    expectProblem(await get(`/api/v1/audit/proofs/inclusion?position=${entries.at(-1)!.position + 1000}`, bearer(AUDITOR)), 404, 'position-not-in-log');
    expectProblem(await get(`/api/v1/audit/proofs/inclusion?position=${entries[9]!.position}&treeSize=5`, bearer(AUDITOR)), 400, 'leaf-not-in-tree');
    expectProblem(await get('/api/v1/audit/proofs/consistency?from=9&to=3', bearer(AUDITOR)), 400, 'invalid-request');
    expectProblem(await get('/api/v1/audit/proofs/consistency?from=3&to=99999999', bearer(AUDITOR)), 404, 'tree-not-that-large');
  });
});

describe('a ledger with no checkpoint yet', () => {
  it('says so at /tlog/checkpoint', async () => {
    const ledger = await testLedger({ LEDGER_AUDITOR_TOKEN: AUDITOR });
    try {
      const res = await ledger.app.inject({ method: 'GET', url: '/tlog/checkpoint' });
      expectProblem(res, 404, 'no-checkpoint-yet');
    } finally {
      await ledger.close();
    }
  });
});
