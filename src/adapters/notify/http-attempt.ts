import { DeliveryError } from '../../ports/notifier.ts';

/** What is read of an answer's body at most: error bodies are small, and a gateway must not make us buffer megabytes. */
const BODY_LIMIT = 64 * 1024;

/** An E.164 phone number: a plus, a country code not starting with 0, at most 15 digits in all. */
export const E164 = /^\+[1-9]\d{1,14}$/;

/**
 * The `Retry-After` header in milliseconds from now: delta-seconds or an HTTP-date (RFC 9110 section 10.2.3).
 * Undefined when absent or unreadable; a date in the past is 0.
 */
export function retryAfterMs(header: string | null, now: Date): number | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  // Date.parse also takes loose forms ("5.5" is a day in May); an HTTP-date names the weekday and GMT.
  if (!/^[A-Za-z]{3,9}, .+ GMT$/.test(value)) return undefined;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now.getTime());
}

/**
 * Reads at most BODY_LIMIT bytes of an answer and lets go of the rest, so the connection goes back
 * to the pool (an unread body keeps its socket busy until the garbage collector finds it).
 */
export async function readBody(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
      if (size >= BODY_LIMIT) {
        await reader.cancel();
        break;
      }
    }
  } catch {
    // A body cut off half-way tells nothing more than its status already did.
    await reader.cancel().catch(() => undefined);
  } finally {
    reader.releaseLock();
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, BODY_LIMIT);
}

/** The answer's body thrown away, for answers whose status says it all. */
export async function discardBody(res: Response): Promise<void> {
  await readBody(res);
}

/** The JSON of a body, or undefined when it is not JSON. */
export function jsonOf(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Statuses worth trying again: the server was busy, slow or broken, not the request wrong. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/**
 * A fetch that did not get an answer (refused, reset, DNS, timeout) as a retryable DeliveryError.
 * The reason names the peer and the system error code only: never a URL's query, a header or a body.
 */
export function unreachable(peer: string, error: unknown, timeoutMs: number): DeliveryError {
  if (error instanceof DeliveryError) return error;
  const name = error instanceof Error ? error.name : '';
  if (name === 'TimeoutError' || name === 'AbortError') return new DeliveryError('retryable', `${peer} did not answer within ${timeoutMs} ms`);
  const code = systemCode(error);
  return new DeliveryError('retryable', `${peer} unreachable${code ? ` (${code})` : ''}`);
}

/** The errno-style code (ECONNREFUSED, ENOTFOUND, UND_ERR_SOCKET...) somewhere in a fetch error's causes. */
function systemCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,40}$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** How long until `expiresAt`, in ms (negative when past; NaN when not a date). */
export function msUntil(expiresAt: string, now: Date): number {
  return Date.parse(expiresAt) - now.getTime();
}
