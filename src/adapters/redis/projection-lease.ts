import { Redis } from 'ioredis';
import { assertLease, type LeaseGrant, type LeaseHolder, type ProjectionLease } from '../../ports/projection-lease.ts';

export interface RedisProjectionLeaseOptions {
  redisUrl: string;
  /** Key prefix; processes that share the lease use the same one (BullMQ's prefix is `ledger` too). */
  prefix?: string;
  /** A Redis call gives up after this long, ms: a lease call never hangs past a renewal. */
  commandTimeoutMs?: number;
}

// The lease key holds "<token> <holder>" and expires with the lease; the counter beside it never
// expires, so a token is never given twice. Taking the lease and counting up happen in one script:
// a token taken between another's SET and INCR could otherwise be lower than one already in use.
const ACQUIRE = `
if redis.call('SET', KEYS[1], 'taking', 'NX', 'PX', ARGV[2]) then
  local token = redis.call('INCR', KEYS[2])
  if token <= tonumber(ARGV[3]) then
    token = tonumber(ARGV[3]) + 1
    redis.call('SET', KEYS[2], token)
  end
  redis.call('SET', KEYS[1], token .. ' ' .. ARGV[1], 'PX', ARGV[2])
  return token
end
return false`;

// Compare and set: only the holder under its token extends or frees the lease; an expired key is nil.
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * The lease on Redis (the one BullMQ uses): SET NX PX takes it, a compare-and-set script renews or
 * frees it, INCR on a key that never expires numbers the acquisitions. Expiry runs on Redis's
 * clock; the expiry answered is counted from before the call, so it is never later than Redis's.
 */
export class RedisProjectionLease implements ProjectionLease {
  private readonly redis: Redis;
  private readonly prefix: string;

  constructor(options: RedisProjectionLeaseOptions) {
    this.prefix = options.prefix ?? 'ledger';
    this.redis = new Redis(options.redisUrl, {
      maxRetriesPerRequest: 1,
      commandTimeout: options.commandTimeoutMs ?? 2_000,
      retryStrategy: (attempt) => Math.min(2_000, 100 * attempt),
    });
    // Failures reach the caller of each call; the connection retries by itself.
    this.redis.on('error', () => undefined);
  }

  async acquire(name: string, holder: string, ttlMs: number, options: { above?: number } = {}): Promise<LeaseGrant | undefined> {
    assertLease(name, ttlMs);
    const started = Date.now();
    const token = (await this.redis.eval(ACQUIRE, 2, this.key(name), this.counter(name), holder, String(ttlMs), String(options.above ?? 0))) as number | null;
    return token === null ? undefined : { token: Number(token), expiresAt: new Date(started + ttlMs) };
  }

  async renew(name: string, holder: string, token: number, ttlMs: number): Promise<LeaseGrant | undefined> {
    assertLease(name, ttlMs);
    const started = Date.now();
    const renewed = (await this.redis.eval(RENEW, 1, this.key(name), `${token} ${holder}`, String(ttlMs))) as number;
    return renewed === 1 ? { token, expiresAt: new Date(started + ttlMs) } : undefined;
  }

  async release(name: string, holder: string, token: number): Promise<void> {
    assertLease(name);
    await this.redis.eval(RELEASE, 1, this.key(name), `${token} ${holder}`);
  }

  async holderOf(name: string): Promise<LeaseHolder | undefined> {
    assertLease(name);
    const started = Date.now();
    const [value, ttl] = await Promise.all([this.redis.get(this.key(name)), this.redis.pttl(this.key(name))]);
    const space = value?.indexOf(' ') ?? -1;
    if (!value || space < 0 || ttl <= 0) return undefined;
    return { token: Number(value.slice(0, space)), holder: value.slice(space + 1), expiresAt: new Date(started + ttl) };
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private key(name: string): string {
    return `${this.prefix}:lease:${name}`;
  }

  private counter(name: string): string {
    return `${this.prefix}:lease:${name}:token`;
  }
}
