// C2SP tlog-tiles (c2sp.org/tlog-tiles): hash tiles and entry bundles, and their paths
//   tile/<L>/<N>[.p/<W>]   and   tile/entries/<N>[.p/<W>]
// A tile at level L, index N holds the hashes at Merkle level 8L (see merkle.ts), indices
// N*256 .. N*256+255; a partial tile holds its first W (1..255) of them.
import { TlogError } from './errors.ts';
import { HASH_SIZE, type ReadHash } from './merkle.ts';

export const TILE_WIDTH = 256;
/** Merkle levels per tile level: 256 = 2^8. */
export const TILE_HEIGHT = 8;
export const MAX_TILE_LEVEL = 63;

export interface TileRef {
  /** The tile level 0..63, or 'entries' for an entry bundle. */
  level: number | 'entries';
  index: number;
  /** 256 for a full tile, 1..255 for a partial one. */
  width: number;
}

const fail = (message: string): never => {
  throw new TlogError('malformed-tile-path', message);
};

/** N in zero-padded 3-digit path elements, all but the last prefixed with x: 1234067 → x001/x234/067. */
export function formatTileIndex(index: number): string {
  if (!Number.isSafeInteger(index) || index < 0) fail('a tile index is a non-negative safe integer');
  let n = index;
  let out = String(n % 1000).padStart(3, '0');
  n = Math.floor(n / 1000);
  while (n > 0) {
    out = `x${String(n % 1000).padStart(3, '0')}/${out}`;
    n = Math.floor(n / 1000);
  }
  return out;
}

/** The path of a tile or entry bundle, relative to the log's prefix. */
export function formatTilePath(tile: TileRef): string {
  const { level, index, width } = tile;
  if (level !== 'entries' && (!Number.isInteger(level) || level < 0 || level > MAX_TILE_LEVEL)) fail(`a tile level is 0..${MAX_TILE_LEVEL}`);
  if (!Number.isInteger(width) || width < 1 || width > TILE_WIDTH) fail(`a tile width is 1..${TILE_WIDTH}`);
  return `tile/${level}/${formatTileIndex(index)}${width === TILE_WIDTH ? '' : `.p/${width}`}`;
}

const PATH = /^tile\/(entries|0|[1-9][0-9]?)\/((?:x[0-9]{3}\/)*[0-9]{3})(?:\.p\/([1-9][0-9]{0,2}))?$/;

/** Parses a tile path; only the canonical spelling of each tile is accepted. */
export function parseTilePath(path: string): TileRef {
  const m = PATH.exec(path);
  if (!m) return fail('not a tile path');
  const [, levelText, indexText, widthText] = m as unknown as [string, string, string, string | undefined];
  const level = levelText === 'entries' ? 'entries' : Number(levelText);
  const index = Number(indexText.replaceAll('x', '').replaceAll('/', ''));
  const width = widthText === undefined ? TILE_WIDTH : Number(widthText);
  if (widthText !== undefined && width >= TILE_WIDTH) fail('a partial tile is narrower than 256');
  if (typeof level === 'number' && level > MAX_TILE_LEVEL) fail(`a tile level is 0..${MAX_TILE_LEVEL}`);
  if (!Number.isSafeInteger(index)) fail('the tile index is too large');
  const tile: TileRef = { level, index, width };
  // Leading zero groups (x000/001) name the same tile as 001: refuse all but the canonical path.
  if (formatTilePath(tile) !== path) fail('not the canonical path of its tile');
  return tile;
}

/**
 * How many hashes (or entries, for level 'entries' as level 0) tile `index` at `level` holds in
 * a tree of `treeSize` leaves: 256 when full, 1..255 when partial, 0 when it does not exist yet.
 */
export function tileWidthAt(level: number | 'entries', index: number, treeSize: number): number {
  const l = level === 'entries' ? 0 : level;
  const hashesAtLevel = Math.floor(treeSize / TILE_WIDTH ** l);
  return Math.max(0, Math.min(TILE_WIDTH, hashesAtLevel - index * TILE_WIDTH));
}

/** The Merkle coordinates of the hashes a hash tile holds, in order. */
export function tileHashCoordinates(tile: TileRef): Array<{ level: number; index: number }> {
  if (tile.level === 'entries') return fail('an entry bundle holds entries, not hashes');
  const level = tile.level * TILE_HEIGHT;
  return Array.from({ length: tile.width }, (_, i) => ({ level, index: tile.index * TILE_WIDTH + i }));
}

/** A hash tile's bytes: its hashes concatenated, read from the stored complete-subtree hashes. */
export async function tileBytes(tile: TileRef, readHash: ReadHash): Promise<Uint8Array> {
  const coordinates = tileHashCoordinates(tile);
  const hashes = await Promise.all(coordinates.map((c) => readHash(c.level, c.index)));
  const out = new Uint8Array(coordinates.length * HASH_SIZE);
  hashes.forEach((h, i) => {
    if (h.length !== HASH_SIZE) throw new TlogError('invalid-hash', `stored hash is not ${HASH_SIZE} bytes`);
    out.set(h, i * HASH_SIZE);
  });
  return out;
}

/** An entry bundle: each entry as a big-endian uint16 length and its bytes. */
export function entryBundleBytes(entries: readonly Uint8Array[]): Uint8Array {
  const size = entries.reduce((n, e) => n + 2 + e.length, 0);
  const out = new Uint8Array(size);
  let at = 0;
  for (const e of entries) {
    if (e.length > 0xffff) throw new TlogError('entry-too-large', 'an entry in a bundle is at most 65535 bytes');
    out[at] = e.length >> 8;
    out[at + 1] = e.length & 0xff;
    out.set(e, at + 2);
    at += 2 + e.length;
  }
  return out;
}
