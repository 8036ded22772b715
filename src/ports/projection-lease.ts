/**
 * A named lease that lets one process at a time keep the projections (and the in-process jobs) on
 * a store shared by several processes. Every acquisition yields a fencing token higher than any
 * given before for that name; the holder passes it with each read-model write, and the store
 * refuses a token lower than the highest it has seen, so a holder that was paused past its expiry
 * cannot write after another took over. All adapters pass test/contract/projection-lease.contract.ts.
 *
 * Time: the expiry is wall-clock time on the lease's backend (or the machine's, for SQLite), so a
 * holder must renew well before it and stop at once when a renewal fails; the fence catches what a
 * clock step or a long pause lets through.
 */
export interface ProjectionLease {
  /**
   * Takes lease `name` for `holder` for `ttlMs` when nobody holds it or its holder's time ran out;
   * answers the grant with a new, higher fencing token, or undefined when another holds it. The token
   * is also above `above` when given: a holder fenced off by a token its backend no longer counts
   * from (a Redis restarted without persistence) gets past it on its next acquisition.
   */
  acquire(name: string, holder: string, ttlMs: number, options?: { above?: number }): Promise<LeaseGrant | undefined>;
  /**
   * Extends the lease by `ttlMs` from now when `holder` still holds it under `token` and it has not
   * expired; undefined otherwise (expired, taken over, released): the holder stops at once.
   */
  renew(name: string, holder: string, token: number, ttlMs: number): Promise<LeaseGrant | undefined>;
  /** Gives the lease up when `holder` holds it under `token`, so another can take it at once; otherwise changes nothing. */
  release(name: string, holder: string, token: number): Promise<void>;
  /** Who holds the lease now, or undefined when it is free or expired (readiness, tests). */
  holderOf(name: string): Promise<LeaseHolder | undefined>;
  close(): Promise<void>;
}

export interface LeaseGrant {
  /** Strictly higher than every token granted before for this lease name. */
  token: number;
  /** When the lease runs out unless renewed (the backend's clock). */
  expiresAt: Date;
}

export interface LeaseHolder extends LeaseGrant {
  holder: string;
}

/** What a fenced write carries: the lease it was made under and the token of that acquisition. */
export interface Fence {
  lease: string;
  token: number;
}

/**
 * A write made under a fencing token lower than one the store has already seen: another process
 * took the lease over. Nothing of the write is applied; the writer must stop projecting.
 */
export class FencedOffError extends Error {
  override readonly name = 'FencedOffError';
  constructor(
    readonly fence: Fence,
    readonly highest: number,
  ) {
    super(`write under fencing token ${fence.token} of lease ${fence.lease} refused: token ${highest} took the lease over`);
  }
}

/** Lease names become keys and ids in every backend: keep them plain. TTLs are whole ms, at least 100. */
export function assertLease(name: string, ttlMs?: number): void {
  if (!/^[a-z][a-z0-9-]{0,63}$/.test(name)) throw new RangeError(`lease name must be lowercase letters, digits and dashes: ${name}`);
  if (ttlMs !== undefined && (!Number.isInteger(ttlMs) || ttlMs < 100)) throw new RangeError(`lease ttl must be a whole number of ms, at least 100: ${ttlMs}`);
}
