import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createChallenge } from 'altcha-lib/v1';
import type { ReplayGuard } from '../../ports/replay-guard.ts';
import { silentMeter, type LedgerMeter } from '../../ports/metrics.ts';

/** An ALTCHA challenge (proof of work, protocol v1) as the browser receives it. */
export interface CaptchaChallenge {
  algorithm: 'SHA-256';
  /** hex SHA-256 of `salt` followed by the secret number. */
  challenge: string;
  /** The number lies between 0 and this. */
  maxnumber: number;
  /** Random, and carries `?expires=<unix seconds>&`. */
  salt: string;
  /** hex HMAC-SHA-256 of `challenge` under the ledger's captcha key. */
  signature: string;
}

/** What the browser sends back, base64 of this JSON, in the field `altcha`. */
interface CaptchaSolution {
  algorithm: string;
  challenge: string;
  number: number;
  salt: string;
  signature: string;
}

export interface CaptchaDeps {
  key: Buffer;
  replayGuard: Pick<ReplayGuard, 'consume'>;
  clock: () => Date;
  ttlMs: number;
  maxNumber: number;
  /** Told of each refusal, by reason (`missing`, `invalid`, `expired`, `reused`). */
  meter?: Pick<LedgerMeter, 'captchaRefused'>;
}

const HEX64 = /^[0-9a-f]{64}$/;
const MAX_PAYLOAD = 2048;

/**
 * The public verification's captcha (ALTCHA): a signed proof-of-work challenge, valid for a short
 * time and spendable once. A solution is checked here with node:crypto, the same computation as
 * altcha-lib's verifySolution without its per-call WebCrypto key import, which would cap the route.
 */
export class CaptchaService {
  private readonly hmacKey: string;

  constructor(private readonly deps: CaptchaDeps) {
    this.hmacKey = deps.key.toString('base64url');
  }

  /** A fresh challenge; `maxNumber` lowers the difficulty (load tests), the route uses the configured one. */
  async challenge(options: { maxNumber?: number } = {}): Promise<CaptchaChallenge> {
    const expires = new Date(this.deps.clock().getTime() + this.deps.ttlMs);
    const made = await createChallenge({ algorithm: 'SHA-256', hmacKey: this.hmacKey, maxnumber: options.maxNumber ?? this.deps.maxNumber, expires });
    return { algorithm: 'SHA-256', challenge: made.challenge, maxnumber: made.maxnumber ?? this.deps.maxNumber, salt: made.salt, signature: made.signature };
  }

  /**
   * True once for a solution that is well formed, solves a challenge this ledger signed, and has not
   * expired; it is spent then. False for anything missing, wrong, expired or already spent.
   */
  async redeem(payload: unknown): Promise<boolean> {
    const refused = (reason: 'missing' | 'invalid' | 'expired' | 'reused') => {
      (this.deps.meter ?? silentMeter).captchaRefused(reason);
      return false;
    };
    if (payload === undefined || payload === '') return refused('missing');
    const solution = parse(payload);
    if (!solution) return refused('invalid');
    const expiresAt = expiryOf(solution.salt);
    if (expiresAt === undefined) return refused('invalid');
    if (expiresAt <= this.deps.clock().getTime()) return refused('expired');
    const challenge = createHash('sha256').update(`${solution.salt}${solution.number}`).digest('hex');
    if (challenge !== solution.challenge) return refused('invalid');
    const signature = createHmac('sha256', this.hmacKey).update(challenge).digest();
    if (!timingSafeEqual(signature, Buffer.from(solution.signature, 'hex'))) return refused('invalid');
    // A captcha is friction against bots, valid for minutes: its spend must outlive a crash of the
    // process, not a power loss, so it does not wait for an fsync on the public route.
    return (await this.deps.replayGuard.consume('captcha', solution.signature, expiresAt, 'crash')) || refused('reused');
  }
}

function parse(payload: unknown): CaptchaSolution | undefined {
  if (typeof payload !== 'string' || payload.length === 0 || payload.length > MAX_PAYLOAD) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(payload, 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const s = value as Partial<CaptchaSolution>;
  if (s.algorithm !== 'SHA-256' || typeof s.challenge !== 'string' || !HEX64.test(s.challenge)) return undefined;
  if (typeof s.signature !== 'string' || !HEX64.test(s.signature) || typeof s.salt !== 'string' || s.salt.length > 200) return undefined;
  if (typeof s.number !== 'number' || !Number.isSafeInteger(s.number) || s.number < 0) return undefined;
  return { algorithm: s.algorithm, challenge: s.challenge, number: s.number, salt: s.salt, signature: s.signature };
}

/** Epoch ms from the `expires` parameter ALTCHA puts in the salt; undefined when absent or malformed. */
function expiryOf(salt: string): number | undefined {
  const query = salt.split('?')[1];
  if (!query) return undefined;
  const expires = new URLSearchParams(query).get('expires');
  if (!expires || !/^\d{1,12}$/.test(expires)) return undefined;
  return Number(expires) * 1000;
}
