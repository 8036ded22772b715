import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  entryBundleBytes,
  formatTileIndex,
  formatTilePath,
  type Hash,
  leafHash,
  MerkleFrontier,
  merkleTreeHash,
  parseTilePath,
  tileBytes,
  tileHashCoordinates,
  tileWidthAt,
  toHex,
} from '../../../tlog/index.ts';

describe('tlog-tiles paths', () => {
  it('encodes the index in 3-digit groups as the spec example does (1234067 → x001/x234/067)', () => {
    expect(formatTileIndex(1234067)).toBe('x001/x234/067');
    expect(formatTileIndex(0)).toBe('000');
    expect(formatTileIndex(999)).toBe('999');
    expect(formatTileIndex(1000)).toBe('x001/000');
    expect(formatTilePath({ level: 0, index: 1234067, width: 256 })).toBe('tile/0/x001/x234/067');
    expect(formatTilePath({ level: 2, index: 5, width: 17 })).toBe('tile/2/005.p/17');
    expect(formatTilePath({ level: 'entries', index: 1000, width: 112 })).toBe('tile/entries/x001/000.p/112');
  });

  it('parses what it formats, for any tile', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: 0, max: 63 }), fc.constant('entries' as const)),
        fc.oneof(fc.nat(2000), fc.maxSafeNat()),
        fc.integer({ min: 1, max: 256 }),
        (level, index, width) => {
          const tile = { level, index, width };
          expect(parseTilePath(formatTilePath(tile))).toEqual(tile);
        },
      ),
    );
  });

  it('refuses every spelling but the canonical one', () => {
    const bad = [
      'tile/0/67', // not 3 digits
      'tile/0/x000/067', // a leading zero group
      'tile/0/001/234', // inner group without x
      'tile/0/x001/x234', // last group with x
      'tile/00/001',
      'tile/64/001', // level beyond 63
      'tile/-1/001',
      'tile/0/001.p/256', // a full tile is not partial
      'tile/0/001.p/0',
      'tile/0/001.p/012',
      'tile/0/001.p/',
      'tile/0/001/',
      '/tile/0/001',
      'tile/data/001',
      'tile/0/x999/x999/x999/x999/x999/x999/999', // beyond a safe integer
    ];
    for (const path of bad) expect(() => parseTilePath(path), path).toThrow(expect.objectContaining({ code: 'malformed-tile-path' }));
  });

  it("gives the spec example's tiles for a tree of 70,000 leaves, and of 256", () => {
    // 273 full level 0 tiles and one of width 112; one full level 1 tile and one of width 17; one level 2 tile of width 1.
    expect(tileWidthAt(0, 272, 70_000)).toBe(256);
    expect(tileWidthAt(0, 273, 70_000)).toBe(112);
    expect(tileWidthAt(0, 274, 70_000)).toBe(0);
    expect(tileWidthAt(1, 0, 70_000)).toBe(256);
    expect(tileWidthAt(1, 1, 70_000)).toBe(17);
    expect(tileWidthAt(2, 0, 70_000)).toBe(1);
    expect(tileWidthAt(3, 0, 70_000)).toBe(0);
    expect(tileWidthAt('entries', 273, 70_000)).toBe(112);
    expect(tileWidthAt(0, 0, 256)).toBe(256);
    expect(tileWidthAt(1, 0, 256)).toBe(1);
  });
});

describe('tile contents', () => {
  it('holds the leaf hashes at level 0 and the root of each full tile below at level 1', async () => {
    const leaves = Array.from({ length: 256 * 3 + 5 }, (_, i) => leafHash(new Uint8Array([i & 0xff, i >> 8])));
    const stored = new Map<string, Hash>();
    const frontier = MerkleFrontier.empty();
    for (const leaf of leaves) for (const s of frontier.append(leaf)) stored.set(`${s.level}/${s.index}`, s.hash);
    const readHash = async (level: number, index: number) => stored.get(`${level}/${index}`) as Hash;

    const partial0 = await tileBytes({ level: 0, index: 3, width: 5 }, readHash);
    expect(toHex(partial0)).toBe(leaves.slice(768).map(toHex).join(''));
    const full0 = await tileBytes({ level: 0, index: 1, width: 256 }, readHash);
    expect(full0.length).toBe(8192);
    expect(toHex(full0)).toBe(leaves.slice(256, 512).map(toHex).join(''));

    const level1 = await tileBytes({ level: 1, index: 0, width: 3 }, readHash);
    const blockRoots = [0, 1, 2].map((n) => toHex(merkleTreeHash(leaves.slice(n * 256, (n + 1) * 256))));
    expect(toHex(level1)).toBe(blockRoots.join(''));
    expect(tileHashCoordinates({ level: 1, index: 2, width: 2 })).toEqual([
      { level: 8, index: 512 },
      { level: 8, index: 513 },
    ]);
  });

  it('bundles entries with big-endian uint16 length prefixes', () => {
    expect(toHex(entryBundleBytes([new Uint8Array([0xaa]), new Uint8Array(0), new Uint8Array(0x0102).fill(1)]).subarray(0, 7))).toBe('0001aa00000102');
    expect(() => entryBundleBytes([new Uint8Array(0x10000)])).toThrow(expect.objectContaining({ code: 'entry-too-large' }));
  });
});
