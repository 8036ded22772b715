import { describe, expect, it } from 'vitest';
import { DEFAULT_DELIVERY_RETRY, nextDeliveryAttempt, type DeliveryRetryPolicy } from '../../src/app/acts/delivery-retry.ts';

const NOW = Date.parse('2026-11-22T10:00:00.000Z');
const policy: DeliveryRetryPolicy = { baseDelayMs: 1_000, maxDelayMs: 30_000, maxAttempts: 8, minLifeLeftMs: 5_000 };
const FAR = NOW + 3_600_000;
const busy = { kind: 'retryable' as const, reason: 'gateway answered 503' };
const delayOf = (decision: ReturnType<typeof nextDeliveryAttempt>) => {
  if (!decision.retry) throw new Error(`expected a retry, got a failure: ${decision.reason}`);
  return decision.delayMs;
};

describe('delivery retries: exponential backoff with full jitter, within the code\'s lifetime', () => {
  it('the ceiling doubles with each attempt up to the maximum (the highest draw reaches it)', () => {
    const ceilings = [1, 2, 3, 4, 5, 6, 7].map((attempt) => delayOf(nextDeliveryAttempt(busy, attempt, NOW, FAR, 0.999_999, policy)));
    expect(ceilings).toEqual([999, 1_999, 3_999, 7_999, 15_999, 29_999, 29_999]);
  });

  it('the pause is drawn from zero to the ceiling: the jitter is bounded on both sides', () => {
    for (const attempt of [1, 3, 6]) {
      const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      expect(delayOf(nextDeliveryAttempt(busy, attempt, NOW, FAR, 0, policy))).toBe(0);
      expect(delayOf(nextDeliveryAttempt(busy, attempt, NOW, FAR, 0.5, policy))).toBe(Math.floor(ceiling / 2));
      for (let i = 0; i < 200; i++) {
        const delay = delayOf(nextDeliveryAttempt(busy, attempt, NOW, FAR, Math.random(), policy));
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThan(ceiling);
      }
    }
  });

  it('waits at least what Retry-After said, even when the draw is shorter', () => {
    expect(delayOf(nextDeliveryAttempt({ ...busy, retryAfterMs: 7_000 }, 1, NOW, FAR, 0.3, policy))).toBe(7_000);
    // A longer draw than Retry-After stands.
    expect(delayOf(nextDeliveryAttempt({ ...busy, retryAfterMs: 100 }, 5, NOW, FAR, 0.5, policy))).toBe(8_000);
    // Retry-After beyond the backoff maximum is still honoured.
    expect(delayOf(nextDeliveryAttempt({ ...busy, retryAfterMs: 120_000 }, 1, NOW, FAR, 0, policy))).toBe(120_000);
  });

  it('never schedules an attempt past the code\'s expiry: it fails instead, saying why', () => {
    const expiresAt = NOW + 20_000;
    expect(nextDeliveryAttempt({ ...busy, retryAfterMs: 30_000 }, 1, NOW, expiresAt, 0, policy)).toEqual({
      retry: false,
      reason: 'code expired before it could be delivered: gateway answered 503',
    });
    // The next attempt must leave the code some life: minLifeLeftMs before expiry is too late.
    expect(nextDeliveryAttempt({ ...busy, retryAfterMs: 15_001 }, 1, NOW, expiresAt, 0, policy).retry).toBe(false);
    expect(nextDeliveryAttempt({ ...busy, retryAfterMs: 15_000 }, 1, NOW, expiresAt, 0, policy)).toEqual({ retry: true, delayMs: 15_000 });
    for (let attempt = 1; attempt < policy.maxAttempts; attempt++) {
      for (const draw of [0, 0.25, 0.5, 0.999]) {
        const decision = nextDeliveryAttempt(busy, attempt, NOW, NOW + 9_000, draw, policy);
        if (decision.retry) expect(NOW + decision.delayMs).toBeLessThanOrEqual(NOW + 9_000 - policy.minLifeLeftMs);
      }
    }
  });

  it('fails at once on a permanent refusal, with the gateway\'s reason', () => {
    expect(nextDeliveryAttempt({ kind: 'permanent', reason: 'gateway answered 400: invalid number' }, 1, NOW, FAR, 0.5, policy)).toEqual({
      retry: false,
      reason: 'gateway answered 400: invalid number',
    });
    expect(nextDeliveryAttempt({ kind: 'permanent', reason: 'x', retryAfterMs: 1_000 }, 1, NOW, FAR, 0.5, policy).retry).toBe(false);
  });

  it('gives up after the last attempt allowed', () => {
    expect(nextDeliveryAttempt(busy, policy.maxAttempts - 1, NOW, FAR, 0.5, policy).retry).toBe(true);
    expect(nextDeliveryAttempt(busy, policy.maxAttempts, NOW, FAR, 0.5, policy)).toEqual({ retry: false, reason: 'gave up after 8 attempts: gateway answered 503' });
  });

  it('keeps a recorded reason short', () => {
    const decision = nextDeliveryAttempt({ kind: 'permanent', reason: 'r'.repeat(1_000) }, 1, NOW, FAR, 0, DEFAULT_DELIVERY_RETRY);
    expect(decision.retry === false && decision.reason.length).toBe(200);
  });
});
