import { createHash, randomFillSync } from 'node:crypto';

/** A name-based UUID (version 5 layout over SHA-1): the same name always gives the same id. */
export function uuidFromName(name: string): string {
  const h = createHash('sha1').update('act-ledger:').update(name).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  return formatUuid(h);
}

/**
 * A new id, time-ordered (UUIDv7, RFC 9562 §5.7): 48 bits of Unix milliseconds, then a 12-bit
 * counter in `rand_a` (RFC 9562 §6.2, method 1), then 62 fresh random bits. Ids made later sort
 * later, so the unique indexes they key (event ids, stream names, read-model rows) grow at their
 * right edge instead of touching a random page of a large B-tree on every insert. Not a secret:
 * the 62 random bits keep it unguessable (see SECURITY.md), which is all an id needs here.
 */
export const newId = (): string => uuidV7(Date.now());

/** The next UUIDv7 at `now` (Unix ms), after every id this process made before. */
export function uuidV7(now: number): string {
  // The clock going back (NTP) must not break the order: keep the last millisecond until it passes.
  if (now > last.ms) {
    last.ms = now;
    // A random start below the counter's half leaves at least 2048 increments within the millisecond.
    last.counter = randomCounterStart();
  } else if (last.counter < 0xfff) {
    last.counter += 1;
  } else {
    // 2048+ ids in one millisecond: borrow the next one (the RFC allows running ahead of the clock).
    last.ms += 1;
    last.counter = randomCounterStart();
  }
  randomBytesInto(bytes, 8, 8);
  const { ms, counter } = last;
  // 48-bit big-endian timestamp; `ms / 2 ** 40` stays exact in a double until the year 10889.
  bytes[0] = Math.floor(ms / 2 ** 40) & 0xff;
  bytes[1] = Math.floor(ms / 2 ** 32) & 0xff;
  bytes[2] = (ms >>> 24) & 0xff;
  bytes[3] = (ms >>> 16) & 0xff;
  bytes[4] = (ms >>> 8) & 0xff;
  bytes[5] = ms & 0xff;
  bytes[6] = 0x70 | (counter >>> 8);
  bytes[7] = counter & 0xff;
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  return formatUuid(bytes);
}

/** The Unix milliseconds a UUIDv7 was made at (the clock it carries, ahead by at most a few ms in a burst). */
export function uuidTimestamp(id: string): number {
  return Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}

const last = { ms: -1, counter: 0 };
const bytes = Buffer.alloc(16);

// Random bytes drawn from the CSPRNG a page at a time, as randomUUID does: one call per id costs ten times the id.
const pool = Buffer.alloc(4096);
let poolUsed = pool.length;

function randomBytesInto(target: Buffer, offset: number, length: number): void {
  if (poolUsed + length > pool.length) {
    randomFillSync(pool);
    poolUsed = 0;
  }
  pool.copy(target, offset, poolUsed, poolUsed + length);
  poolUsed += length;
}

function randomCounterStart(): number {
  randomBytesInto(bytes, 6, 2);
  return bytes.readUInt16BE(6) & 0x7ff;
}

function formatUuid(b: Uint8Array): string {
  const hex = Buffer.from(b.buffer, b.byteOffset, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
