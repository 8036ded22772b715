// Tree-size arithmetic on safe integers. Sizes pass 2^32, so no 32-bit bitwise operator is used.
// Internal to tlog/: not part of the index.
import { TlogError } from './errors.ts';

export const half = (x: number): number => Math.floor(x / 2);
export const isOdd = (x: number): boolean => x % 2 === 1;

export function isPowerOfTwo(x: number): boolean {
  if (x < 1) return false;
  while (x % 2 === 0) x /= 2;
  return x === 1;
}

/** log2 of a power of two. */
export function log2Exact(x: number): number {
  let level = 0;
  while (x > 1) {
    x /= 2;
    level++;
  }
  return level;
}

/** The largest level with 2^level <= x (0 for x < 2). */
export function log2Floor(x: number): number {
  let level = 0;
  while (2 ** (level + 1) <= x) level++;
  return level;
}

/** The RFC's k for n > 1: the largest power of two smaller than n. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

export function assertSize(size: number, what: string): void {
  if (!Number.isSafeInteger(size) || size < 0) throw new TlogError('invalid-tree-size', `${what} must be a non-negative safe integer`);
}
