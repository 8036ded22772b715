import { describe, expect, it } from 'vitest';
import { formatCheckpoint, parseCheckpoint, parseNote, toBase64 } from '../../../tlog/index.ts';

// The example of the C2SP tlog-checkpoint specification (c2sp.org/tlog-checkpoint).
const SPEC_CHECKPOINT =
  'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n';
const ROOT = 'CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=';

describe('tlog-checkpoint', () => {
  it('reads the spec example: origin, size, root, signed by the origin key', () => {
    const { text, signatures } = parseNote(SPEC_CHECKPOINT);
    const checkpoint = parseCheckpoint(text);
    expect(checkpoint).toMatchObject({ origin: 'example.com/behind-the-sofa', size: 20852163, extensions: [] });
    expect(toBase64(checkpoint.rootHash)).toBe(ROOT);
    expect(signatures[0]?.name).toBe(checkpoint.origin);
    expect(formatCheckpoint(checkpoint)).toBe(text);
  });

  it('round-trips extension lines and the empty tree', () => {
    const text = `log.example\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\nextension one\nextension two\n`;
    const checkpoint = parseCheckpoint(text);
    expect(checkpoint.size).toBe(0);
    expect(checkpoint.extensions).toEqual(['extension one', 'extension two']);
    expect(formatCheckpoint(checkpoint)).toBe(text);
  });

  it('refuses anything but the exact layout', () => {
    const bad = [
      `example.com/log\n1\n${ROOT}`, // no final newline
      `example.com/log\n1\n`, // no root hash
      `\n1\n${ROOT}\n`, // empty origin
      `example.com/log\n01\n${ROOT}\n`, // leading zero
      `example.com/log\n+1\n${ROOT}\n`,
      `example.com/log\n-1\n${ROOT}\n`,
      `example.com/log\n1.0\n${ROOT}\n`,
      `example.com/log\n 1\n${ROOT}\n`,
      `example.com/log\n99999999999999999999\n${ROOT}\n`, // beyond a safe integer
      `example.com/log\n1\n${ROOT.slice(0, -2)}=\n`, // not 32 bytes
      `example.com/log\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=\n`, // non-canonical padding bits
      `example.com/log\n1\n${ROOT.replaceAll('/', '_')}\n`, // base64url
      `example.com/log\n1\n${ROOT}\n\n`, // an empty extension line
      `example.com/log\n1\n${ROOT}\next\r\n`,
    ];
    for (const text of bad) expect(() => parseCheckpoint(text), JSON.stringify(text)).toThrow(expect.objectContaining({ code: 'malformed-checkpoint' }));
    expect(() => formatCheckpoint({ origin: 'a\nb', size: 1, rootHash: new Uint8Array(32), extensions: [] })).toThrow(expect.objectContaining({ code: 'malformed-checkpoint' }));
    expect(() => formatCheckpoint({ origin: 'a', size: -1, rootHash: new Uint8Array(32), extensions: [] })).toThrow(expect.objectContaining({ code: 'malformed-checkpoint' }));
    expect(() => formatCheckpoint({ origin: 'a', size: 1, rootHash: new Uint8Array(31), extensions: [] })).toThrow(expect.objectContaining({ code: 'malformed-checkpoint' }));
    expect(() => formatCheckpoint({ origin: 'a', size: 1, rootHash: new Uint8Array(32), extensions: [''] })).toThrow(expect.objectContaining({ code: 'malformed-checkpoint' }));
  });
});
