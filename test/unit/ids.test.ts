import { describe, expect, it } from 'vitest';
import { newId, uuidFromName, uuidTimestamp, uuidV7 } from '../../src/app/ids.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const bits = (id: string) => BigInt(`0x${id.replaceAll('-', '')}`);

describe('time-ordered ids (UUIDv7, RFC 9562)', () => {
  // First in the file: this module's generator has made no later id yet (each test file gets its own module).
  it("lays out RFC 9562's example instant (Appendix A.6: 2022-02-22T19:22:22Z) as 017F22E2-79B0-7...", () => {
    const id = uuidV7(Date.parse('2022-02-22T19:22:22.000Z'));
    expect(id).toMatch(/^017f22e2-79b0-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(uuidTimestamp('017f22e2-79b0-7cc3-98c4-dc0c0c07398f')).toBe(Date.parse('2022-02-22T19:22:22.000Z'));
  });

  it('lays out the version, the variant and the Unix milliseconds as RFC 9562 §5.7 does', () => {
    const before = Date.now();
    const id = newId();
    const after = Date.now();
    expect(id).toMatch(UUID);
    const value = bits(id);
    expect(Number((value >> 76n) & 0xfn)).toBe(7);
    expect(Number((value >> 62n) & 0x3n)).toBe(0b10);
    const ms = Number(value >> 80n);
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(after + 1);
    expect(uuidTimestamp(id)).toBe(ms);
  });

  it('sorts in the order it was made, as text and as bytes, through a burst of 100,000 in a few milliseconds', () => {
    const ids = Array.from({ length: 100_000 }, () => newId());
    expect(new Set(ids).size).toBe(ids.length);
    for (let i = 1; i < ids.length; i++) if (!(ids[i - 1]! < ids[i]!)) throw new Error(`id ${i} sorts before id ${i - 1}: ${ids[i - 1]} ${ids[i]}`);
    for (const id of ids.slice(0, 1000)) expect(Number((bits(id) >> 76n) & 0xfn)).toBe(7);
  });

  it('keeps the order when the clock steps back, and runs ahead of the clock only past 2048 ids in one millisecond', () => {
    const t = Date.parse('2100-01-01T00:00:00.000Z');
    const first = uuidV7(t);
    const stepBack = uuidV7(t - 5_000);
    expect(stepBack > first).toBe(true);
    expect(uuidTimestamp(stepBack)).toBe(t);

    const later = t + 10;
    const burst = Array.from({ length: 2049 }, () => uuidV7(later));
    expect(burst.slice(0, 2048).every((id) => uuidTimestamp(id) === later)).toBe(true);
    expect(uuidTimestamp(burst.at(-1)!)).toBeLessThanOrEqual(later + 1);
    for (let i = 1; i < burst.length; i++) expect(burst[i]! > burst[i - 1]!).toBe(true);
  });

  it('carries 62 fresh random bits in each id, so ids made in the same millisecond share no guessable tail', () => {
    const t = Date.parse('2101-01-01T00:00:00.000Z');
    const tails = Array.from({ length: 1000 }, () => bits(uuidV7(t)) & ((1n << 62n) - 1n));
    expect(new Set(tails).size).toBe(tails.length);
    // Every one of the 62 bits takes both values across a thousand ids.
    for (let bit = 0n; bit < 62n; bit++) expect(new Set(tails.map((tail) => (tail >> bit) & 1n)).size).toBe(2);
  });
});

describe('name-based ids', () => {
  it('stay what earlier versions made: the same name gives the same version-5 id', () => {
    expect(uuidFromName('act:provider-1:key-1')).toBe(uuidFromName('act:provider-1:key-1'));
    expect(uuidFromName('act:provider-1:key-1')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
