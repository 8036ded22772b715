import { createHash, createPublicKey, randomBytes, verify as edVerify } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpApi, providerOverHttp } from '../support/provider-over-http.ts';
import { startServer, type RunningServer } from '../support/server.ts';
import { deliveredMessageFrom } from '../support/delivery.ts';

// An act's receipt checked the way its holder would, years later: with jose, the ledger's JWK set and
// the log's verifier key, and an RFC 9162 inclusion check and C2SP signed-note check written here.
// Nothing below imports the ledger's code or tlog/: only the server process is the ledger.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const JANA = 'test-person-jana';
const sha256 = (...parts: Array<Uint8Array | string>) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};

interface Receipt {
  status: 'issued';
  jws: string;
  event: string;
  proof: string;
}

// ---- an independent verifier -----------------------------------------------------------------

/** RFC 9162 section 2.1.3.2: the root an inclusion proof leads to, or undefined when it cannot. */
function rootFromInclusionProof(index: number, size: number, leaf: Buffer, proof: Buffer[]): Buffer | undefined {
  if (index >= size) return undefined;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return undefined;
    if (fn % 2 === 1 || fn === sn) {
      r = sha256(Buffer.from([1]), p, r);
      if (fn % 2 === 0) while (fn % 2 === 0 && fn !== 0) [fn, sn] = [fn >> 1, sn >> 1];
    } else r = sha256(Buffer.from([1]), r, p);
    [fn, sn] = [fn >> 1, sn >> 1];
  }
  return sn === 0 ? r : undefined;
}

/** C2SP signed-note: the note's text when a signature line by this vkey verifies over it. */
function openSignedNote(note: string, vkey: string): string | undefined {
  // <name>+<hex id>+<base64>: names hold no '+', base64 may, so only the first two split.
  const m = /^([^+]+)\+([0-9a-f]{8})\+(.+)$/.exec(vkey.trim());
  if (!m) return undefined;
  const [, name, hexId, keyData] = m as unknown as [string, string, string, string];
  const key = Buffer.from(keyData, 'base64');
  if (key.length !== 33 || key[0] !== 1) return undefined;
  const publicKey = key.subarray(1);
  // The key id is SHA-256(name || "\n" || 0x01 || key)[:4]; the vkey's must be it.
  const keyId = sha256(name, Buffer.from([0x0a, 0x01]), publicKey).subarray(0, 4);
  if (keyId.toString('hex') !== hexId) return undefined;
  const split = note.lastIndexOf('\n\n');
  if (split < 0) return undefined;
  const text = note.slice(0, split + 1);
  const ed = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: publicKey.toString('base64url') }, format: 'jwk' });
  for (const line of note.slice(split + 2).split('\n').filter(Boolean)) {
    const m = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const sig = Buffer.from(m[2]!, 'base64');
    if (sig.length === 68 && sig.subarray(0, 4).equals(keyId) && edVerify(null, Buffer.from(text, 'utf8'), ed, sig.subarray(4))) return text;
  }
  return undefined;
}

/** RFC 8785 for the flat objects of strings and nulls the commitment covers. */
const canonical = (o: Record<string, unknown>) => `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${JSON.stringify(o[k])}`).join(',')}}`;
const CONTENT = ['actId', 'documentHash', 'nameSha256', 'descriptionSha256', 'providerId', 'providerName', 'method', 'loa', 'authorizedAt'];

/** What fails about a receipt; empty when it holds. `claimsOverride` checks the commitment against other claims. */
async function failures(receipt: Receipt, jwks: JSONWebKeySet, vkey: string, claimsOverride?: Record<string, unknown>): Promise<string[]> {
  const failed: string[] = [];
  let claims: Record<string, unknown> | undefined;
  try {
    const verified = await jwtVerify(receipt.jws, createLocalJWKSet(jwks), { algorithms: ['EdDSA'], typ: 'act-receipt+jwt' });
    claims = verified.payload as Record<string, unknown>;
  } catch {
    failed.push('signature');
  }
  claims = claimsOverride ?? claims;
  if (!claims) return failed;

  const eventBytes = Buffer.from(receipt.event, 'base64');
  let event: { streamName?: string; type?: string; data?: Record<string, unknown> } = {};
  try {
    event = JSON.parse(eventBytes.toString('utf8')) as typeof event;
  } catch {
    failed.push('event');
  }
  const content = Object.fromEntries(CONTENT.map((k) => [k, claims[k]]));
  const commitment = sha256(Buffer.from(String(claims.salt), 'base64url'), canonical(content)).toString('hex');
  if (event.type !== 'ActAuthorized' || event.streamName !== `act-${String(claims.actId)}` || event.data?.receiptCommitment !== commitment) failed.push('commitment');

  const [header, indexLine, ...rest] = receipt.proof.split('\n');
  const blank = rest.indexOf('');
  const index = Number(/^index (\d+)$/.exec(indexLine ?? '')?.[1] ?? NaN);
  const hashes = rest.slice(0, blank).map((h) => Buffer.from(h, 'base64'));
  const note = rest.slice(blank + 1).join('\n');
  const text = openSignedNote(note, vkey);
  if (header !== 'c2sp.org/tlog-proof@v1' || !text) failed.push('checkpoint');
  else {
    const [origin, size, root] = text.split('\n') as [string, string, string];
    const leaf = sha256(Buffer.from([0]), eventBytes);
    const computed = rootFromInclusionProof(index, Number(size), leaf, hashes);
    if (origin !== vkey.split('+')[0] || index !== Number(claims.sequence) - 1 || !computed?.equals(Buffer.from(root, 'base64'))) failed.push('inclusion');
  }
  return failed;
}

// ---- the ledger, as a provider and a receipt holder meet it ---------------------------------

describe('a receipt verifies offline with only jose, the JWK set, the log key and code written here', () => {
  let server: RunningServer;
  let token: string;
  let receipt: Receipt;
  let jwks: JSONWebKeySet;
  let vkey: string;
  let dir: string;
  const document = Buffer.concat([Buffer.from('%PDF-1.7 building permit\n'), randomBytes(4096)]);
  const documentHash = sha256(document).toString('hex');
  const name = `Building permit ${randomBytes(3).toString('hex')}`;

  const api = (method: string, path: string, body?: unknown, bearer = token) => httpApi(server.url)(method, path, body, bearer);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'receipt-offline-'));
    server = await startServer({ LEDGER_CHECKPOINT_EVERY: 'PT1S' });
    const session = await providerOverHttp(server, 'Stavební úřad Brno');
    const provider = session.provider;
    token = session.token;

    const sepp = String((await api('GET', `/api/v1/admin/citizens/${JANA}/sepp?providerId=${provider.providerId}`, undefined, server.adminToken)).body.sepp);
    const actId = String((await api('POST', '/api/v1/acts', { sepp, documentHash, name, description: 'Rodinný dům, parcela 1234/5' })).body.actId);
    const issued = await api('POST', `/api/v1/acts/${actId}/codes`, { channel: 'sms' });
    const messages = async () => (await api('GET', `/api/v1/simulator/outbox?aifo=${JANA}`, undefined, server.adminToken)).body.messages as Array<{ code: string; channel: string }>;
    const code = await deliveredMessageFrom(messages, actId, String(issued.body.codeSha256));
    const codeSha512 = createHash('sha512').update(`${actId}:${code.code}`).digest('hex');
    expect((await api('POST', `/api/v1/acts/${actId}/codes/${String(issued.body.codeId)}/verifications`, { codeSha512 })).body.result).toBe('authorized');
    const authorizedAt = Date.now();

    // Pending until the next checkpoint (signed every second here) covers the authorization.
    const first = await api('GET', `/api/v1/acts/${actId}`);
    expect(['pending', 'issued']).toContain((first.body.receipt as { status: string }).status);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const act = await api('GET', `/api/v1/acts/${actId}`);
      if ((act.body.receipt as { status: string }).status === 'issued') {
        receipt = act.body.receipt as Receipt;
        writeFileSync(join(dir, 'act.json'), JSON.stringify(act.body));
        console.log(`receipt issued ${Date.now() - authorizedAt} ms after the authorization (LEDGER_CHECKPOINT_EVERY=PT1S)`);
        break;
      }
      if (Date.now() > deadline) throw new Error(`no receipt after 20 s: ${JSON.stringify(act.body.receipt)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    jwks = (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
    const keyResponse = await fetch(`${server.url}/api/v1/audit/log-key`);
    expect(keyResponse.headers.get('content-type')).toMatch(/^text\/plain/);
    vkey = (await keyResponse.text()).trim();
    writeFileSync(join(dir, 'jwks.json'), JSON.stringify(jwks));
    writeFileSync(join(dir, 'log-key.txt'), `${vkey}\n`);
    writeFileSync(join(dir, 'permit.pdf'), document);
    writeFileSync(join(dir, 'receipt.json'), JSON.stringify(receipt));
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    if (server) rmSync(server.dataDir, { recursive: true, force: true });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('holds: the ledger\'s signature, the commitment in the logged event, inclusion under the signed checkpoint', async () => {
    expect(await failures(receipt, jwks, vkey)).toEqual([]);
    const { payload } = await jwtVerify(receipt.jws, createLocalJWKSet(jwks), { typ: 'act-receipt+jwt' });
    expect(Object.keys(payload).sort()).toEqual([...CONTENT, 'sequence', 'position', 'salt'].sort());
    expect(payload).toMatchObject({ documentHash, nameSha256: sha256(name).toString('hex'), providerName: 'Stavební úřad Brno', method: 'sms', loa: null });
    // The log holds the commitment, never the salt, the document hash or the act's texts in clear.
    const event = Buffer.from(receipt.event, 'base64').toString('utf8');
    for (const secret of [String(payload.salt), documentHash, name]) expect(event.includes(secret)).toBe(false);
  });

  it('fails on any changed claim, any changed byte of the event, any changed proof hash', async () => {
    const { payload } = await jwtVerify(receipt.jws, createLocalJWKSet(jwks));
    const [header, , signature] = receipt.jws.split('.');
    const changedValues: Record<string, unknown> = {
      actId: '00000000-0000-4000-8000-000000000000', documentHash: sha256('other').toString('hex'), nameSha256: sha256('other').toString('hex'),
      descriptionSha256: sha256('other').toString('hex'), providerId: 'someone-else', providerName: 'Someone else', method: 'authentication',
      loa: 'high', authorizedAt: '2020-01-01T00:00:00.000Z', sequence: Number(payload.sequence) + 1, salt: Buffer.alloc(32, 1).toString('base64url'),
    };
    for (const [claim, value] of Object.entries(changedValues)) {
      const changed = { ...payload, [claim]: value };
      const jws = `${header}.${Buffer.from(JSON.stringify(changed)).toString('base64url')}.${signature}`;
      expect(await failures({ ...receipt, jws }, jwks, vkey), claim).toContain('signature');
      // Even were the signature forged, the log's commitment (or the proof's index) refuses the changed claim.
      expect((await failures(receipt, jwks, vkey, changed)).length, claim).toBeGreaterThan(0);
    }

    const event = Buffer.from(receipt.event, 'base64');
    for (let i = 0; i < event.length; i++) {
      const flipped = Buffer.from(event);
      flipped[i] = flipped[i]! ^ 0x20;
      expect(await failures({ ...receipt, event: flipped.toString('base64') }, jwks, vkey), `event byte ${i}`).not.toEqual([]);
    }

    const lines = receipt.proof.split('\n');
    const hashLines = lines.slice(2, lines.indexOf('')).map((_, i) => i + 2);
    expect(hashLines.length).toBeGreaterThan(0);
    for (const at of hashLines) {
      const hash = Buffer.from(lines[at]!, 'base64');
      hash[31] = hash[31]! ^ 0x01;
      const proof = lines.map((l, j) => (j === at ? hash.toString('base64') : l)).join('\n');
      expect(await failures({ ...receipt, proof }, jwks, vkey), `proof hash ${at - 2}`).toEqual(['inclusion']);
    }
    // A checkpoint of another size, with the signature it came with.
    const [origin, size] = lines.slice(lines.indexOf('') + 1);
    const resized = receipt.proof.replace(`${origin}\n${size}\n`, `${origin}\n${Number(size) + 1}\n`);
    expect(await failures({ ...receipt, proof: resized }, jwks, vkey)).toEqual(['checkpoint']);
  });

  it('the ledger\'s public check agrees, with and without the file', async () => {
    const check = async (body: unknown) => {
      const res = await fetch(`${server.url}/api/v1/public/receipts/verifications`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    expect((await check({ receipt, documentHash })).body).toMatchObject({ genuine: true, inLog: true, matchesDocument: true, problems: [] });
    expect((await check({ receipt })).body).toMatchObject({ genuine: true, inLog: true, matchesDocument: null });
    const flipped = Buffer.from(receipt.event, 'base64');
    flipped[10] = flipped[10]! ^ 0x20;
    expect((await check({ receipt: { ...receipt, event: flipped.toString('base64') } })).body).toMatchObject({ genuine: false, inLog: false });
  });

  it('ledger audit receipt, a process of its own, with only the files', async () => {
    const run = (args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, ['bin/ledger.mjs', 'audit', 'receipt', ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '' }, timeout: 30_000 }, (error, stdout, stderr) =>
          resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
      });
    const keys = ['--jwks', join(dir, 'jwks.json'), '--log-key', join(dir, 'log-key.txt')];
    const ok = await run([join(dir, 'receipt.json'), ...keys, '--document', join(dir, 'permit.pdf')]);
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toMatch(/^genuine: {3}yes {2}\(act /m);
    expect(ok.stdout).toMatch(/^in log: {4}yes /m);
    expect(ok.stdout).toMatch(/^document: {2}matches /m);
    expect(ok.code).toBe(0);
    // The whole act as the provider read it works too, and the vkey may be given as it is.
    expect((await run([join(dir, 'act.json'), '--jwks', join(dir, 'jwks.json'), '--log-key', vkey])).code).toBe(0);

    writeFileSync(join(dir, 'other.pdf'), 'another file');
    const other = await run([join(dir, 'receipt.json'), ...keys, '--document', join(dir, 'other.pdf'), '--json']);
    expect(other.code).toBe(1);
    expect(JSON.parse(other.stdout)).toMatchObject({ holds: false, genuine: true, inLog: true, matchesDocument: false, problems: ['document-mismatch'] });

    const proofLines = receipt.proof.split('\n');
    const hash = Buffer.from(proofLines[2]!, 'base64');
    hash[0] = hash[0]! ^ 0x01;
    writeFileSync(join(dir, 'tampered.json'), JSON.stringify({ ...receipt, proof: [...proofLines.slice(0, 2), hash.toString('base64'), ...proofLines.slice(3)].join('\n') }));
    const tampered = await run([join(dir, 'tampered.json'), ...keys]);
    expect(tampered.code).toBe(1);
    expect(tampered.stdout).toMatch(/^in log: {4}NO/m);
    expect(tampered.stdout).toContain('inclusion-not-proven');

    const missing = await run([join(dir, 'receipt.json'), '--jwks', join(dir, 'jwks.json')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('--jwks and --log-key are both needed');
  });
});
