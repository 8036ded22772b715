import { describe, expect, it } from 'vitest';
import {
  formatCheckpoint,
  formatTlogProof,
  generateNoteKey,
  type Hash,
  inclusionProof,
  leafHash,
  MerkleFrontier,
  openNote,
  parseCheckpoint,
  parseSignerKey,
  parseTlogProof,
  parseVerifierKey,
  signNote,
  toBase64,
  verifyInclusion,
  verifyTlogProof,
} from '../../../tlog/index.ts';

// The example of the C2SP tlog-proof specification (c2sp.org/tlog-proof); its signatures are
// elided ("[...]") there, so only the layout is checked, never the signatures.
const SPEC_PROOF = `c2sp.org/tlog-proof@v1
extra YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ
index 73894
gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=
B95lDa8R83lS8n0eG+o0buTxRKQTYFi//1U8anccXmA=
EKNzoDWG8LGC0Yp9o+sv3qllpMP9uHQ9B20KNL+Q1zs=
RoopEkOdqkYqMB4MJXrbt/hMjOxsVn0IrWjpz1ZMMes=
AHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk=

example.com/fancylog
109482
sFodV/vSp5O8n9a8QpW6PRY97tfOSW5bsc2Xl/EQi08=

— example.com/fancylog hI2DJw[...]1roloI=
— witness1.example mJirIklj[...]qY9v2B/5bg==
— witness2.example TnKKVHLX[...]xwYwrSjgow==
— witness3.example S4X82uH5[...]3oEcROGLFQ==
`;

describe('tlog-proof', () => {
  it('reads the spec example: extra data, index, five hashes and the checkpoint verbatim', () => {
    const proof = parseTlogProof(SPEC_PROOF);
    expect(proof.index).toBe(73894);
    expect(Buffer.from(proof.extra as Uint8Array).toString('latin1').startsWith('age-v1.2.1-darwin-arm64.tar.gz')).toBe(true);
    expect(proof.inclusionProof.map(toBase64)).toEqual(SPEC_PROOF.split('\n').slice(3, 8));
    expect(proof.checkpoint.startsWith('example.com/fancylog\n109482\nsFodV/vSp5O8n9a8QpW6PRY97tfOSW5bsc2Xl/EQi08=\n\n— example.com/fancylog ')).toBe(true);
    expect(formatTlogProof(proof)).toBe(SPEC_PROOF);
  });

  it('writes no extra line when there is none, and an empty proof for a one-leaf tree', () => {
    const text = formatTlogProof({ index: 0, inclusionProof: [], checkpoint: 'log\n1\nAAAA\n\n— log AAAAAA==\n' });
    expect(text).toBe('c2sp.org/tlog-proof@v1\nindex 0\n\nlog\n1\nAAAA\n\n— log AAAAAA==\n');
    expect(parseTlogProof(text)).toEqual({ index: 0, inclusionProof: [], checkpoint: 'log\n1\nAAAA\n\n— log AAAAAA==\n' });
  });

  it('refuses malformed proofs', () => {
    const hash = toBase64(new Uint8Array(32));
    const bad = [
      'wrong-header\nindex 0\n\ncheckpoint\n',
      'c2sp.org/tlog-proof@v1\nextra !!notbase64!!\nindex 0\n\ncheckpoint\n',
      'c2sp.org/tlog-proof@v1\n\n\ncheckpoint\n', // no index
      'c2sp.org/tlog-proof@v1\nindex notanumber\n\ncheckpoint\n',
      'c2sp.org/tlog-proof@v1\nindex -5\n\ncheckpoint\n',
      'c2sp.org/tlog-proof@v1\nindex 05\n\ncheckpoint\n',
      'c2sp.org/tlog-proof@v1\nindex 0\n!!notbase64!!\n\ncheckpoint\n',
      `c2sp.org/tlog-proof@v1\nindex 0\n${toBase64(new Uint8Array(64))}\n\ncheckpoint\n`, // hash too long
      `c2sp.org/tlog-proof@v1\nindex 0\n${hash}\n`, // no checkpoint
      `c2sp.org/tlog-proof@v1\nindex 0\n${hash}\n\ncheckpoint`, // checkpoint without its newline
      `c2sp.org/tlog-proof@v1\nindex 0\n${hash}`, // ends early
      `c2sp.org/tlog-proof@v1\nextra AA==\nextra AA==\nindex 0\n\ncheckpoint\n`,
    ];
    for (const text of bad) expect(() => parseTlogProof(text), JSON.stringify(text)).toThrow(expect.objectContaining({ code: 'malformed-proof' }));
  });

  it('carries an inclusion proof under a signed checkpoint that a holder verifies offline', async () => {
    const origin = 'ledger.example/act-ledger';
    const { signerKey, verifierKey } = generateNoteKey(origin);
    const leaves = Array.from({ length: 1000 }, (_, i) => leafHash(new TextEncoder().encode(`event ${i}`)));
    const stored = new Map<string, Hash>();
    const frontier = MerkleFrontier.empty();
    for (const leaf of leaves) for (const s of frontier.append(leaf)) stored.set(`${s.level}/${s.index}`, s.hash);
    const readHash = async (level: number, index: number) => stored.get(`${level}/${index}`) as Hash;
    const checkpoint = signNote(formatCheckpoint({ origin, size: leaves.length, rootHash: frontier.root(), extensions: [] }), [parseSignerKey(signerKey)]);
    const text = formatTlogProof({ index: 617, inclusionProof: await inclusionProof(617, leaves.length, readHash), checkpoint });

    // The holder: the log's verifier key and the entry, nothing else.
    const proof = parseTlogProof(text);
    const head = parseCheckpoint(openNote(proof.checkpoint, [parseVerifierKey(verifierKey)]).text);
    expect(head.origin).toBe(origin);
    expect(verifyInclusion(leaves[617] as Hash, proof.index, head.size, proof.inclusionProof, head.rootHash)).toBe(true);
    expect(verifyInclusion(leaves[616] as Hash, proof.index, head.size, proof.inclusionProof, head.rootHash)).toBe(false);
    // A checkpoint whose size was edited no longer carries a valid signature.
    const edited = proof.checkpoint.replace('\n1000\n', '\n1001\n');
    expect(() => openNote(edited, [parseVerifierKey(verifierKey)])).toThrow(expect.objectContaining({ code: 'invalid-signature' }));

    // The same checks in one call, and each way it refuses.
    const verifiers = [parseVerifierKey(verifierKey)];
    expect(verifyTlogProof(text, leaves[617] as Hash, verifiers, origin)).toMatchObject({ index: 617, checkpoint: { origin, size: 1000 } });
    expect(() => verifyTlogProof(text, leaves[618] as Hash, verifiers, origin)).toThrow(expect.objectContaining({ code: 'inclusion-not-proven' }));
    expect(() => verifyTlogProof(text.replace('index 617', 'index 616'), leaves[617] as Hash, verifiers)).toThrow(expect.objectContaining({ code: 'inclusion-not-proven' }));
    expect(() => verifyTlogProof(text, leaves[617] as Hash, verifiers, 'other.example/log')).toThrow(expect.objectContaining({ code: 'origin-mismatch' }));
    expect(() => verifyTlogProof(text, leaves[617] as Hash, [parseVerifierKey(generateNoteKey(origin).verifierKey)])).toThrow(expect.objectContaining({ code: 'unverified-note' }));
    const hashLine = toBase64(proof.inclusionProof[3] as Hash);
    const tampered = text.replace(hashLine, toBase64((proof.inclusionProof[3] as Hash).map((b, i) => (i === 5 ? b ^ 1 : b))));
    expect(() => verifyTlogProof(tampered, leaves[617] as Hash, verifiers)).toThrow(expect.objectContaining({ code: 'inclusion-not-proven' }));
  });
});
