/**
 * When to try delivering a code again: a pure function of the failed attempt, the clock and a
 * random number, so its rules are tested without timers.
 */

export interface DeliveryRetryPolicy {
  /** The ceiling of the first pause; each further attempt doubles it, up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Attempts in all, the first included; past them the delivery fails. */
  maxAttempts: number;
  /** A code with less lifetime left than this when the next attempt would start is not worth sending. */
  minLifeLeftMs: number;
}

export const DEFAULT_DELIVERY_RETRY: DeliveryRetryPolicy = { baseDelayMs: 1_000, maxDelayMs: 60_000, maxAttempts: 10, minLifeLeftMs: 5_000 };

/** A failed attempt, as the notifier reported it (DeliveryError), reduced to what the policy needs. */
export interface FailedAttempt {
  kind: 'retryable' | 'permanent';
  reason: string;
  /** The gateway's Retry-After: the next attempt waits at least this long. */
  retryAfterMs?: number;
}

export type RetryDecision = { retry: true; delayMs: number } | { retry: false; reason: string };

const REASON_MAX = 200;

/**
 * After attempt number `attempt` (1-based) failed at `now`: permanent refusals fail at once;
 * retryable ones wait a pause drawn uniformly from [0, min(maxDelay, base * 2^(attempt-1))] (full
 * jitter), at least the gateway's Retry-After, and fail instead when that pause would run past the
 * code's lifetime or the attempts are used up. `random` is in [0, 1).
 */
export function nextDeliveryAttempt(failed: FailedAttempt, attempt: number, now: number, expiresAt: number, random: number, policy: DeliveryRetryPolicy = DEFAULT_DELIVERY_RETRY): RetryDecision {
  if (failed.kind === 'permanent') return { retry: false, reason: clip(failed.reason) };
  if (attempt >= policy.maxAttempts) return { retry: false, reason: clip(`gave up after ${attempt} attempts: ${failed.reason}`) };
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  const jittered = Math.floor(Math.min(Math.max(random, 0), 1) * ceiling);
  const delayMs = Math.max(jittered, Math.ceil(failed.retryAfterMs ?? 0));
  if (now + delayMs + policy.minLifeLeftMs > expiresAt) return { retry: false, reason: clip(`code expired before it could be delivered: ${failed.reason}`) };
  return { retry: true, delayMs };
}

function clip(reason: string): string {
  return reason.length <= REASON_MAX ? reason : `${reason.slice(0, REASON_MAX - 1)}…`;
}
