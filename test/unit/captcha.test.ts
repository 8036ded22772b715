import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { verifySolution } from 'altcha-lib/v1';
import { CaptchaService } from '../../src/app/citizens/captcha.ts';
import type { ReplayGuard } from '../../src/ports/replay-guard.ts';
import { solve } from '../support/act-flows.ts';

const key = randomBytes(32);
const now = Date.parse('2026-05-01T10:00:00Z');
const remembering = (): Pick<ReplayGuard, 'consume'> => {
  const seen = new Set<string>();
  return { consume: async (scope, id) => !seen.has(`${scope}:${id}`) && Boolean(seen.add(`${scope}:${id}`)) };
};
const service = (replayGuard: Pick<ReplayGuard, 'consume'> = remembering(), at = now) => new CaptchaService({ key, replayGuard, clock: () => new Date(at), ttlMs: 600_000, maxNumber: 1000 });
const decode = (altcha: string) => JSON.parse(Buffer.from(altcha, 'base64').toString()) as Record<string, unknown>;
const encode = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64');

describe('the captcha (ALTCHA v1)', () => {
  it('takes a solution once, and not after the challenge expired', async () => {
    const captcha = service();
    const altcha = await solve(await captcha.challenge());
    expect(await captcha.redeem(altcha)).toBe(true);
    expect(await captcha.redeem(altcha)).toBe(false);
    const later = service(remembering(), now + 600_001);
    expect(await later.redeem(await solve(await captcha.challenge()))).toBe(false);
  });

  it('judges altered solutions as altcha-lib\'s own verifySolution does, never more leniently', async () => {
    // altcha-lib checks expiry against the system clock, so this challenge is issued by it too.
    const good = decode(await solve(await service(remembering(), Date.now()).challenge()));
    const hmacKey = key.toString('base64url');
    // Expiry is the ledger clock's business; compare the rest.
    const neverSpent: Pick<ReplayGuard, 'consume'> = { consume: async () => true };
    const judge = service(neverSpent, Date.now());
    const field = fc.constantFrom('algorithm', 'challenge', 'number', 'salt', 'signature');
    const value = fc.oneof(fc.string(), fc.integer({ min: 0, max: 2000 }), fc.constant('SHA-1'), fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 64, maxLength: 64 }));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(field, value), { maxLength: 2 }), async (changes) => {
        const altered = { ...good, ...Object.fromEntries(changes) };
        const payload = encode(altered);
        const ours = await judge.redeem(payload);
        const theirs = await verifySolution(payload, hmacKey, true).catch(() => false);
        // altcha-lib also takes a missing algorithm or a number sent as a string; the ledger wants the exact shape.
        const wellTyped = altered.algorithm === 'SHA-256' && Number.isInteger(altered.number) && [altered.challenge, altered.salt, altered.signature].every((v) => typeof v === 'string');
        if (ours) expect(theirs).toBe(true);
        if (wellTyped) expect(ours).toBe(theirs);
      }),
      { numRuns: 300 },
    );
    expect(await judge.redeem(encode(good))).toBe(true);
  });
});
