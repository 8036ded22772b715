import { timingSafeEqual } from 'node:crypto';

/** Equality of two hex strings whose time does not depend on where they differ. */
export function hexEquals(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}
