import type { ConnectionOptions } from 'bullmq';
import { JobBackendUnavailableError } from '../../ports/job-scheduler.ts';

/**
 * Redis calls that cannot hang a caller: an admin request or a shutdown must finish even when
 * Redis has gone away mid-call.
 */

/** Resolves as `operation` does, or rejects with JobBackendUnavailableError after `ms` or on any failure of it. */
export async function withinTime<T>(operation: Promise<T>, ms: number): Promise<T> {
  // Once the timeout has won, a late failure of the operation must not surface as unhandled.
  operation.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new JobBackendUnavailableError(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([operation, timeout]);
  } catch (error) {
    if (error instanceof JobBackendUnavailableError) throw error;
    throw new JobBackendUnavailableError(error instanceof Error ? error.message : String(error));
  } finally {
    clearTimeout(timer);
  }
}

/** Waits up to `ms` for a graceful close; past that, or when it fails, calls `force` (drop the socket) and says so. */
export async function closeWithin(graceful: Promise<unknown>, force: () => unknown, ms: number, onForced?: () => void): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), ms);
  });
  const outcome = await Promise.race([graceful.then(() => 'done' as const, () => 'failed' as const), late]);
  clearTimeout(timer);
  if (outcome === 'done') return;
  onForced?.();
  try {
    // disconnect() drops the socket at once; it is not awaited past a moment, Redis may be gone.
    await Promise.race([Promise.resolve(force()).catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 100).unref())]);
  } catch {
    // Already dropped.
  }
}

/** ioredis reconnect delay: quick at first, then every 2 s, forever, so jobs resume soon after an outage. */
export function reconnectDelay(attempt: number): number {
  return Math.min(attempt * 200, 2_000);
}

/**
 * How a BullMQ connection talks to Redis: workers and event listeners block on it and must retry
 * forever (maxRetriesPerRequest null); everything else fails fast while Redis is down, so a request
 * answers instead of hanging.
 */
export function redisConnection(redisUrl: string, blocking: boolean): ConnectionOptions {
  return blocking
    ? { url: redisUrl, maxRetriesPerRequest: null, retryStrategy: reconnectDelay }
    : { url: redisUrl, maxRetriesPerRequest: 1, enableOfflineQueue: false, retryStrategy: reconnectDelay };
}
