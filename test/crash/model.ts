import { createHash } from 'node:crypto';
import type { ProviderIdentity } from '../support/ledger.ts';
import { seeded } from '../support/shelving.ts';

/**
 * What the crash suite was told by the ledger: every acknowledged (2xx) answer and what it implies,
 * kept across the server's deaths. The checks compare the ledger with this after each kill.
 */

export interface ActBody {
  sepp: string;
  documentHash: string;
  name: string;
  description: string;
}

export interface CodeRecord {
  codeId: string;
  /** Read from the simulated phone while the process that sent it was alive (its outbox is memory only). */
  code?: string;
  cycle: number;
}

export interface ActRecord {
  actId: string;
  providerId: string;
  body: ActBody;
  key?: string;
  /** Cycle of the first acknowledgement, and of the last one that told something new. */
  cycle: number;
  touched: number;
  /** Codes acknowledged as issued (CodeIssued must exist), by codeId. */
  codes: Map<string, CodeRecord>;
  /** Acknowledged verifications that record a CodeAttempted (every result but `locked`). */
  attempts: number;
  /** Lowest `attemptsLeft` acknowledged. */
  minAttemptsLeft?: number;
  /** An answer said the act is authorized (by code). */
  authorized: boolean;
  /** An answer said the act failed, and why. */
  failedReason?: string;
}

/** A registration sent with an Idempotency-Key, acknowledged or not yet (its act id is known once answered). */
export interface KeyedRequest {
  key: string;
  body: ActBody;
  actId?: string;
}

export interface ProviderRecord {
  identity: ProviderIdentity;
  name: string;
  cycle: number;
}

export interface SpentAssertion {
  providerId: string;
  assertion: string;
  jti: string;
  /** When the ledger's replay guard may forget it (exp + clock tolerance), ms. */
  expiresAt: number;
  cycle: number;
}

export interface IssuedToken {
  token: string;
  providerId: string;
  cycle: number;
}

export interface SpentCaptcha {
  altcha: string;
  signature: string;
  expiresAt: number;
  cycle: number;
}

export class Model {
  readonly acts = new Map<string, ActRecord>();
  readonly keyed = new Map<string, KeyedRequest>();
  /** document hash -> act id, for acknowledged acts. */
  readonly byDocument = new Map<string, string>();
  /** Every document hash sent in a registration, acknowledged or not. */
  readonly sentDocuments = new Set<string>();
  readonly providers = new Map<string, ProviderRecord>();
  readonly assertions: SpentAssertion[] = [];
  readonly tokens: IssuedToken[] = [];
  readonly captchas: SpentCaptcha[] = [];
  /** Acts a public lookup answered as authorized: they must be authorized in the log. */
  readonly lookedUpAuthorized = new Set<string>();
  mainProvider?: ProviderRecord;
  mainSepp?: string;

  /** Records an acknowledged registration answer; creates the act record on first sight. */
  actAcknowledged(actId: string, providerId: string, body: ActBody, cycle: number, key?: string): ActRecord {
    let rec = this.acts.get(actId);
    if (!rec) {
      rec = { actId, providerId, body, cycle, touched: cycle, codes: new Map(), attempts: 0, authorized: false, ...(key ? { key } : {}) };
      this.acts.set(actId, rec);
      this.byDocument.set(body.documentHash, actId);
    }
    return rec;
  }

  /** An answer told the act's status; remember what it implies. */
  statusSeen(rec: ActRecord, status: unknown, cycle: number, failure?: { reason?: unknown }): void {
    if (status === 'authorized' && !rec.authorized) {
      rec.authorized = true;
      rec.touched = cycle;
    }
    if (status === 'failed' && rec.failedReason === undefined) {
      rec.failedReason = typeof failure?.reason === 'string' ? failure.reason : 'unknown';
      rec.touched = cycle;
    }
  }

  /** Acts still open as far as anyone told us. */
  openActs(): ActRecord[] {
    return [...this.acts.values()].filter((a) => !a.authorized && a.failedReason === undefined);
  }
}

/** Counts of the summary line; each distinct problem is counted once, however often it is seen again. */
export class Tally {
  acknowledged = 0;
  lost = 0;
  duplicates = 0;
  mismatches = 0;
  failedStarts = 0;
  serverErrors = 0;
  readonly problems: string[] = [];
  private readonly seen = new Set<string>();

  constructor(private readonly log: (line: string) => void) {}

  report(kind: 'lost' | 'duplicate' | 'mismatch' | 'failed-start' | 'server-error', key: string, detail: string): void {
    const id = `${kind}:${key}`;
    if (this.seen.has(id)) return;
    this.seen.add(id);
    if (kind === 'lost') this.lost++;
    else if (kind === 'duplicate') this.duplicates++;
    else if (kind === 'mismatch') this.mismatches++;
    else if (kind === 'failed-start') this.failedStarts++;
    else this.serverErrors++;
    const line = `crash: ${kind}: ${detail}`;
    if (this.problems.length < 200) this.problems.push(line);
    this.log(line);
  }
}

/** The suite's seeded generator (the tests' mulberry32): a failing seed replays the same choices. */
export const prng: (seed: number) => () => number = seeded;

/** A seed for one part of the run (a cycle, a worker), derived from the run's seed. */
export function derivedSeed(seed: number, ...parts: Array<string | number>): number {
  return createHash('sha256').update([seed, ...parts].join(':')).digest().readUInt32LE(0);
}

export type Rand = () => number;

export const int = (rand: Rand, lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));

export function pickOne<T>(rand: Rand, items: readonly T[]): T | undefined {
  return items.length === 0 ? undefined : items[Math.floor(rand() * items.length)];
}

/** Up to `n` distinct items, in random order. */
export function sample<T>(rand: Rand, items: readonly T[], n: number): T[] {
  const copy = [...items];
  const out: T[] = [];
  while (out.length < n && copy.length > 0) out.push(copy.splice(Math.floor(rand() * copy.length), 1)[0]!);
  return out;
}
