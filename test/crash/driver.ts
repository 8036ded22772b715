import { createHash, randomBytes, randomInt } from 'node:crypto';
import { rmSync } from 'node:fs';
import { decodeJwt } from 'jose';
import { solve } from '../support/act-flows.ts';
import { clientAssertion, providerKeyPair, tempDir, type ProviderIdentity } from '../support/ledger.ts';
import { startServer, type RunningServer } from '../support/server.ts';
import { derivedSeed, int, Model, pickOne, prng, sample, Tally, type ActBody, type ActRecord, type KeyedRequest, type Rand } from './model.ts';
import { offlineCheck } from './offline-check.ts';

/**
 * The crash suite: mixed traffic against a real `ledger serve`, SIGKILL at a random point while
 * requests are in flight, restart on the same data dir, and check that everything acknowledged is
 * still there, nothing is doubled, and the read models say what the log says.
 *
 * Nothing here is timed: every loop is bounded by a count; the only clocks are the random delay
 * before a kill and a safety timeout per request.
 */

export interface CrashSuiteOptions {
  cycles: number;
  /**
   * Seeds every choice (traffic mix, kill points, delays, names); random when absent (and reported).
   * Which requests a kill cuts still depends on timing, so a seed replays the same plan, not the same run.
   */
  seed?: number;
  /** Problems and progress lines; the summary line is the caller's to print. */
  log?: (line: string) => void;
  /** A progress line per cycle. */
  verbose?: boolean;
  /** Keep the data dir (its path is logged) instead of removing it. */
  keepDataDir?: boolean;
  /** Stops after the cycle under way (the last kill is still checked by one more start). */
  signal?: AbortSignal;
}

export interface CrashSuiteResult {
  seed: number;
  cycles: number;
  acknowledged: number;
  lost: number;
  duplicates: number;
  mismatches: number;
  failedStarts: number;
  /** 5xx answers and connections dropped while the server was meant to be alive: defects, reported, not in the summary. */
  serverErrors: number;
  problems: string[];
  /** Why the run stopped before its cycles were done, if it did (an unexpected error in the suite or the server). */
  aborted?: string;
}

export function summaryLine(r: Pick<CrashSuiteResult, 'cycles' | 'acknowledged' | 'lost' | 'duplicates' | 'mismatches' | 'failedStarts'>): string {
  return `crash: ${r.cycles} cycles, ${r.acknowledged} acknowledged writes, ${r.lost} lost, ${r.duplicates} duplicates, ${r.mismatches} read-model mismatches, ${r.failedStarts} failed starts`;
}

export const passed = (r: CrashSuiteResult): boolean => r.lost === 0 && r.duplicates === 0 && r.mismatches === 0 && r.failedStarts === 0 && r.aborted === undefined;

const PUBLIC_URL = 'https://ledger.example';
const TOKEN_AUDIENCE = `${PUBLIC_URL}/api/v1/token`;
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const JANA = 'test-person-jana';
const CODE_ATTEMPTS = 3;

/** Concurrent traffic loops per cycle, and how many operations each may start at most. */
const WORKERS = 6;
const OPS_PER_WORKER = 60;
/** Answers after which the kill is sent (then a random delay of up to KILL_DELAY_MS). */
const KILL_AFTER = [2, 45] as const;
const QUICK_KILL_AFTER = [1, 6] as const;
const KILL_DELAY_MS = 25;
/** Cycles that kill soon after the start, while projections may still be catching up (no checks over HTTP first). */
const QUICK_CYCLE_SHARE = 0.15;
/** Start attempts before the suite gives up; and /readyz polls before projections count as stuck. */
const START_ATTEMPTS = 3;
const READY_POLLS = 600;
const READY_POLL_GAP_MS = 25;
/** Bounds of the checks over HTTP after a restart. */
const CHECK_RECENT_ACTS = 60;
const CHECK_OLDER_ACTS = 15;
const CHECK_RESENDS = 5;
const CHECK_SPENT = 6;
const CHECK_LOOKUPS = 4;
const CHECK_CONCURRENCY = 6;
/** A request that gets no answer within this is a defect (the process is alive but hung). */
const REQUEST_TIMEOUT_MS = 30_000;

interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

interface RequestOptions {
  json?: unknown;
  form?: Record<string, string>;
  bearer?: string;
  headers?: Record<string, string>;
}

/** One server process's life: its client, and the kill that ends it. */
class Life {
  answers = 0;
  /** Requests that got no answer because of the kill (they were in flight). */
  dropped = 0;
  killSent = false;
  exited?: Promise<unknown>;
  token = '';
  private killAt = Number.MAX_SAFE_INTEGER;
  private killDelay = 0;

  constructor(
    readonly server: RunningServer,
    readonly cycle: number,
    private readonly tally: Tally,
  ) {}

  /** Arms the kill: it is sent `delay` ms after the `after`-th answer from now on. */
  arm(after: number, delay: number): void {
    this.killAt = this.answers + after;
    this.killDelay = delay;
  }

  kill(): Promise<unknown> {
    if (!this.killSent) {
      this.killSent = true;
      this.exited = this.server.kill('SIGKILL');
    }
    return this.exited!;
  }

  async call(method: string, path: string, options: RequestOptions = {}): Promise<Answer> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.bearer) headers.authorization = `Bearer ${options.bearer}`;
    let body: string | undefined;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(options.form).toString();
    }
    let answer: Answer;
    try {
      const res = await fetch(`${this.server.url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}), signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON: kept as text
      }
      answer = { status: res.status, headers: res.headers, body: parsed };
    } catch (error) {
      // No answer (or half of one). Expected once the kill is sent; a defect before.
      if (this.killSent) this.dropped++;
      else {
        this.tally.report('server-error', `${this.cycle}:${method} ${path}:${String(error)}`, `cycle ${this.cycle}: ${method} ${routeOf(path)} got no answer from a live server: ${String((error as { cause?: unknown }).cause ?? error)}`);
      }
      throw new NoAnswer();
    }
    if (answer.status >= 500) {
      this.tally.report('server-error', `${this.cycle}:${this.answers}:${method} ${path}`, `cycle ${this.cycle}: ${method} ${routeOf(path)} answered ${answer.status} ${JSON.stringify(answer.body)?.slice(0, 300)}`);
    }
    this.answers++;
    if (this.answers === this.killAt) setTimeout(() => void this.kill(), this.killDelay);
    return answer;
  }
}

class NoAnswer extends Error {
  override readonly name = 'NoAnswer';
}

/** A path with its ids blanked, for problem lines that group well. */
const routeOf = (path: string) => path.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, ':id').replace(/\?.*$/, '');

/** Runs `fn` over `items`, CHECK_CONCURRENCY at a time. */
async function each<T>(items: readonly T[], fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(CHECK_CONCURRENCY, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const sha512 = (s: string) => createHash('sha512').update(s, 'utf8').digest('hex');
const hex = (rand: Rand, chars: number) => Array.from({ length: chars }, () => Math.floor(rand() * 16).toString(16)).join('');

export async function runCrashSuite(options: CrashSuiteOptions): Promise<CrashSuiteResult> {
  const seed = options.seed ?? randomInt(0, 2 ** 31);
  const log = options.log ?? (() => {});
  const tally = new Tally(log);
  const model = new Model();
  const dataDir = tempDir('ledger-crash-');
  const adminToken = randomBytes(18).toString('base64url');
  // The same environment at every start: a deployment keeps its public URL and admin token.
  const env = {
    LEDGER_PUBLIC_URL: PUBLIC_URL,
    LEDGER_ADMIN_TOKEN: adminToken,
    LEDGER_CODE_SENDS_PER_HOUR: '100000',
    LEDGER_CODE_ATTEMPTS: String(CODE_ATTEMPTS),
    LEDGER_CAPTCHA_MAX_NUMBER: '1000',
    LOG_LEVEL: 'warn',
  };
  const suite = new Suite(seed, model, tally, env, dataDir, adminToken, log);
  let cycles = 0;
  let live: Life | undefined;
  let aborted: string | undefined;
  try {
    let startFailed = false;
    for (let cycle = 1; cycle <= options.cycles && !options.signal?.aborted; cycle++) {
      const began = Date.now();
      live = await suite.start(cycle);
      if (!live) {
        startFailed = true;
        break;
      }
      await suite.cycle(live);
      await live.kill();
      const { answers, dropped } = live;
      live = undefined;
      cycles = cycle;
      const figures = offlineCheck(dataDir, model, tally);
      if (options.verbose) {
        log(
          `crash: cycle ${cycle}: ${answers} answers, ${dropped} requests cut by the kill; log ${figures.events} events, ${figures.acts} acts, ` +
            `head ${figures.head}, read models at ${figures.readModelPosition}; ${tally.acknowledged} acknowledged so far (${Date.now() - began} ms)`,
        );
      }
    }
    // The last kill is checked by one more start, then a clean stop and a last look at the files.
    if (!startFailed && cycles > 0) {
      live = await suite.start(cycles + 1);
      if (live) {
        await suite.checkAfterRestart(live);
        await live.server.stop();
        live = undefined;
        offlineCheck(dataDir, model, tally);
      }
    }
  } catch (error) {
    aborted = `cycle ${cycles + 1}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
    log(`crash: aborted in ${aborted}`);
    if (live) log(`crash: server output:\n${live.server.logs().slice(-4000)}`);
  } finally {
    if (live) await live.server.stop();
    if (options.keepDataDir) log(`crash: data dir kept at ${dataDir}`);
    else rmSync(dataDir, { recursive: true, force: true });
  }
  return {
    seed,
    cycles,
    acknowledged: tally.acknowledged,
    lost: tally.lost,
    duplicates: tally.duplicates,
    mismatches: tally.mismatches,
    failedStarts: tally.failedStarts,
    serverErrors: tally.serverErrors,
    problems: tally.problems,
    ...(aborted !== undefined ? { aborted } : {}),
  };
}

class Suite {
  private keyPairs: Array<Omit<ProviderIdentity, 'providerId'>> = [];
  /** Cycle after which the checks over HTTP last ran: records touched since are checked at the next. */
  private checkedThrough = 0;

  constructor(
    private readonly seed: number,
    private readonly model: Model,
    private readonly tally: Tally,
    private readonly env: Record<string, string>,
    private readonly dataDir: string,
    private readonly adminToken: string,
    private readonly log: (line: string) => void,
  ) {}

  /** Starts the server on the data dir; a failed start counts, and is tried again a few times. */
  async start(cycle: number): Promise<Life | undefined> {
    for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
      try {
        const server = await startServer(this.env, { dataDir: this.dataDir });
        return new Life(server, cycle, this.tally);
      } catch (error) {
        const detail = String(error instanceof Error ? error.message : error).split('\n').slice(-15).join('\n');
        this.tally.report('failed-start', `${cycle}:${attempt}`, `cycle ${cycle}, attempt ${attempt}: the server did not start on the data dir:\n${detail}`);
      }
    }
    return undefined;
  }

  /** One cycle on a live server: set-up (first time), checks of what came before, traffic, kill. */
  async cycle(live: Life): Promise<void> {
    const rand = prng(derivedSeed(this.seed, live.cycle, 'cycle'));
    if (!this.model.mainProvider) await this.setUp(live);
    const quick = live.cycle > 1 && rand() < QUICK_CYCLE_SHARE;
    if (quick) {
      // Traffic at once, while the projection thread may still be catching up; checked at the next full cycle.
      await this.newMainToken(live);
      live.arm(int(rand, ...QUICK_KILL_AFTER), int(rand, 0, KILL_DELAY_MS));
    } else {
      if (live.cycle > 1) await this.checkAfterRestart(live);
      else await this.newMainToken(live);
      live.arm(int(rand, ...KILL_AFTER), int(rand, 0, KILL_DELAY_MS));
    }
    await Promise.all(Array.from({ length: WORKERS }, (_, w) => this.worker(live, prng(derivedSeed(this.seed, live.cycle, 'worker', w)), w)));
    // Every worker ran out of operations before the kill point (the caller kills it then).
  }

  private async setUp(live: Life): Promise<void> {
    for (let i = 0; i < 3; i++) this.keyPairs.push(await providerKeyPair(i === 2 ? 'EdDSA' : 'ES256'));
    const pair = this.keyPairs[0]!;
    const name = `Crash suite e-service ${this.seed}`;
    const created = await live.call('POST', '/api/v1/admin/providers', { bearer: this.adminToken, json: { name, jwks: { keys: [pair.publicJwk] }, returnUrls: ['https://provider.example/return'] } });
    if (created.status !== 201) throw new Error(`set-up: provider registration answered ${created.status} ${JSON.stringify(created.body)}`);
    this.tally.acknowledged++;
    const main = { identity: { ...pair, providerId: String(created.body.providerId) }, name, cycle: live.cycle };
    this.model.providers.set(main.identity.providerId, main);
    this.model.mainProvider = main;
    const sepp = await live.call('GET', `/api/v1/admin/citizens/${JANA}/sepp?providerId=${encodeURIComponent(main.identity.providerId)}`, { bearer: this.adminToken });
    if (sepp.status !== 200) throw new Error(`set-up: SePP lookup answered ${sepp.status} ${JSON.stringify(sepp.body)}`);
    this.model.mainSepp = String(sepp.body.sepp);
  }

  /** A token for the main provider from this process (an acknowledged write: its jti is spent). */
  private async newMainToken(live: Life): Promise<void> {
    for (let i = 0; i < 3 && !live.token; i++) {
      const token = await this.token(live, this.model.mainProvider!.identity);
      if (token) live.token = token;
    }
    if (!live.token) throw new Error(`cycle ${live.cycle}: no token for the main provider`);
  }

  // ---- traffic -------------------------------------------------------------------------------

  private async worker(live: Life, rand: Rand, w: number): Promise<void> {
    const ops: Array<[number, (n: number) => Promise<void>]> = [
      [5, (n) => this.registerFlow(live, rand, w, n)],
      [3, () => this.continueFlow(live, rand)],
      [1.5, () => this.resend(live, rand)],
      [1, () => this.tokenOp(live, rand)],
      [1.5, async () => void (await this.lookup(live, rand))],
      [0.5, (n) => this.registerProvider(live, rand, w, n)],
      [1, () => this.readAct(live, rand)],
    ];
    const total = ops.reduce((s, [weight]) => s + weight, 0);
    for (let n = 0; n < OPS_PER_WORKER && !live.killSent; n++) {
      let r = rand() * total;
      const op = ops.find(([weight]) => (r -= weight) < 0) ?? ops[0]!;
      try {
        await op[1](n);
      } catch (error) {
        if (!(error instanceof NoAnswer)) throw error;
      }
    }
  }

  private newActBody(rand: Rand, w: number, n: number, cycle: number): ActBody {
    const documentHash = sha256(`${this.seed}:${cycle}:${w}:${n}:${hex(rand, 8)}`);
    this.model.sentDocuments.add(documentHash);
    return { sepp: this.model.mainSepp!, documentHash, name: `Crash act ${cycle}.${w}.${n}`, description: `Crash suite seed ${this.seed}, cycle ${cycle}` };
  }

  private sendRegistration(live: Life, body: ActBody, key?: string): Promise<Answer> {
    return live.call('POST', '/api/v1/acts', { bearer: live.token, json: body, ...(key ? { headers: { 'idempotency-key': key } } : {}) });
  }

  /** Records a registration answer; `ackedBefore`: the key's act was acknowledged before this send left. */
  private registrationAnswered(live: Life, answer: Answer, body: ActBody, key: string | undefined, ackedBefore: string | undefined): ActRecord | undefined {
    if (answer.status === 409 && key && answer.body?.type === 'urn:problem:act-ledger:idempotency-key-reused') {
      this.tally.report('duplicate', `key-refused:${key}`, `cycle ${live.cycle}: a re-send with the same Idempotency-Key and body was refused: ${JSON.stringify(answer.body)}`);
      return undefined;
    }
    if (answer.status !== 201) return undefined;
    this.tally.acknowledged++;
    const actId = String(answer.body.actId);
    if (key) {
      const req = this.model.keyed.get(key)!;
      if (req.actId !== undefined && req.actId !== actId) {
        this.tally.report('duplicate', `key:${key}`, `Idempotency-Key ${key} answered act ${actId}, before act ${req.actId}`);
      }
      req.actId ??= actId;
      if (ackedBefore !== undefined && answer.headers.get('idempotent-replayed') !== 'true') {
        this.tally.report('lost', `key-recreated:${key}`, `cycle ${live.cycle}: a re-send of ${key} (act ${ackedBefore}, acknowledged before) made the act anew: the first was lost`);
      }
    }
    const rec = this.model.actAcknowledged(actId, this.model.mainProvider!.identity.providerId, body, live.cycle, key);
    this.model.statusSeen(rec, answer.body.status, live.cycle);
    return rec;
  }

  /** Registers an act (keyed or not, a keyed one maybe twice at once), then maybe goes on to a code. */
  private async registerFlow(live: Life, rand: Rand, w: number, n: number): Promise<void> {
    const body = this.newActBody(rand, w, n, live.cycle);
    const key = rand() < 0.6 ? `crash-${this.seed}-${live.cycle}-${w}-${n}` : undefined;
    if (key) this.model.keyed.set(key, { key, body });
    const twice = key !== undefined && rand() < 0.25;
    const sends = await Promise.allSettled(Array.from({ length: twice ? 2 : 1 }, () => this.sendRegistration(live, body, key)));
    let rec: ActRecord | undefined;
    for (const s of sends) if (s.status === 'fulfilled') rec = this.registrationAnswered(live, s.value, body, key, undefined) ?? rec;
    if (!rec) {
      const failed = sends.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failed) throw failed.reason;
      return;
    }
    if (rand() < 0.75) await this.codeFlow(live, rand, rec);
  }

  /** A code by SMS, read on the simulated phone, then wrong codes and maybe the right one. */
  private async codeFlow(live: Life, rand: Rand, rec: ActRecord): Promise<void> {
    const issued = await live.call('POST', `/api/v1/acts/${rec.actId}/codes`, { bearer: live.token, json: { channel: 'sms' } });
    if (issued.status !== 201) {
      if (issued.status === 409) this.model.statusSeen(rec, issued.body.actStatus, live.cycle, issued.body);
      return;
    }
    this.tally.acknowledged++;
    const codeId = String(issued.body.codeId);
    const code = { codeId, cycle: live.cycle } as { codeId: string; cycle: number; code?: string };
    rec.codes.set(codeId, code);
    rec.touched = live.cycle;
    // Delivery runs as a task after the answer: the code reaches the phone a moment later. A kill in
    // between loses an in-process task (embedded mode), so only a live server that never delivers is a defect.
    let found: { code?: string } | undefined;
    for (let poll = 0; poll < 50 && !found; poll++) {
      if (poll > 0) await new Promise((resolve) => setTimeout(resolve, 100));
      const outbox = await live.call('GET', `/api/v1/simulator/outbox?aifo=${JANA}`, { bearer: this.adminToken });
      const messages = (outbox.status === 200 ? outbox.body.messages : []) as Array<{ code?: string }>;
      found = messages.find((m) => m.code !== undefined && sha256(`${rec.actId}:${m.code}`) === issued.body.codeSha256);
    }
    if (!found) {
      this.tally.report('server-error', `outbox:${codeId}`, `cycle ${live.cycle}: code ${codeId} of act ${rec.actId} was acknowledged but is not on the simulated phone`);
      return;
    }
    code.code = found.code!;
    const wrong = pickOne(rand, [0, 0, 0, 1, 1, 2, 3])!;
    for (let i = 0; i < wrong; i++) await this.verify(live, rec, codeId, hex(rand, 128), false);
    if (rand() < 0.8) await this.verify(live, rec, codeId, sha512(`${rec.actId}:${code.code}`), true);
  }

  private async verify(live: Life, rec: ActRecord, codeId: string, codeSha512: string, right: boolean): Promise<void> {
    const res = await live.call('POST', `/api/v1/acts/${rec.actId}/codes/${codeId}/verifications`, { bearer: live.token, json: { codeSha512 } });
    if (res.status === 409) {
      this.model.statusSeen(rec, res.body.actStatus, live.cycle, res.body);
      return;
    }
    if (res.status === 404 && rec.codes.has(codeId)) {
      // Only acknowledged codes are ever sent: this one was issued and is gone (or its act is).
      const what = res.body?.type === 'urn:problem:act-ledger:code-unknown' ? `code ${codeId} of act ${rec.actId}` : `act ${rec.actId}`;
      this.tally.report('lost', res.body?.type === 'urn:problem:act-ledger:code-unknown' ? `code:${codeId}` : `act:${rec.actId}`, `cycle ${live.cycle}: ${what}, acknowledged before, answers 404`);
      return;
    }
    if (res.status !== 200) return;
    this.tally.acknowledged++;
    const { result, attemptsLeft, status } = res.body as { result: string; attemptsLeft: number; status: string };
    if (result !== 'locked') rec.attempts++;
    if (typeof attemptsLeft === 'number') rec.minAttemptsLeft = Math.min(rec.minAttemptsLeft ?? Number.MAX_SAFE_INTEGER, attemptsLeft);
    rec.touched = live.cycle;
    this.model.statusSeen(rec, status, live.cycle, { reason: 'attempts-exhausted' });
    if (!right && result === 'authorized') this.tally.report('mismatch', `wrong-code-authorized:${rec.actId}`, `act ${rec.actId} was authorized by a wrong code`);
  }

  /** Goes on with an open act from before (maybe from before a crash): a new code, the known code, or a wrong one. */
  private async continueFlow(live: Life, rand: Rand): Promise<void> {
    const open = this.model.openActs();
    const rec = pickOne(rand, open.slice(-80));
    if (!rec) return;
    const known = [...rec.codes.values()].filter((c) => c.code !== undefined);
    const last = known.at(-1);
    const r = rand();
    if (last && r < 0.5) await this.verify(live, rec, last.codeId, sha512(`${rec.actId}:${last.code!}`), true);
    else if (last && r < 0.65) await this.verify(live, rec, last.codeId, hex(rand, 128), false);
    else await this.codeFlow(live, rand, rec);
  }

  /** The same Idempotency-Key and body again: acknowledged before or never answered (in flight at a kill). */
  private async resend(live: Life, rand: Rand): Promise<void> {
    const all = [...this.model.keyed.values()];
    const req = pickOne(rand, rand() < 0.5 ? all.filter((k) => k.actId === undefined) : all.slice(-100)) ?? pickOne(rand, all);
    if (!req) return;
    await this.resendKeyed(live, req);
  }

  private async resendKeyed(live: Life, req: KeyedRequest): Promise<void> {
    const ackedBefore = req.actId;
    const res = await this.sendRegistration(live, req.body, req.key);
    this.registrationAnswered(live, res, req.body, req.key, ackedBefore);
  }

  /** A token for the main provider or another acknowledged one; sometimes the same assertion again at once. */
  private async tokenOp(live: Life, rand: Rand): Promise<void> {
    const providers = [...this.model.providers.values()];
    const p = rand() < 0.5 ? this.model.mainProvider! : pickOne(rand, providers)!;
    const assertion = await this.token(live, p.identity, true);
    if (assertion && rand() < 0.3) {
      const again = await this.tokenRequest(live, assertion);
      if (again.status === 200) {
        this.tally.acknowledged++;
        this.tally.report('duplicate', `assertion-twice:${decodeJwt(assertion).jti}`, `cycle ${live.cycle}: one client assertion was exchanged for two tokens`);
      }
    }
  }

  private tokenRequest(live: Life, assertion: string): Promise<Answer> {
    return live.call('POST', '/api/v1/token', { form: { grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE, client_assertion: assertion } });
  }

  /** Exchanges a fresh assertion; answers the token (or, with `answerAssertion`, the assertion spent). */
  private async token(live: Life, identity: ProviderIdentity, answerAssertion = false): Promise<string | undefined> {
    const assertion = await clientAssertion(identity, TOKEN_AUDIENCE);
    const res = await this.tokenRequest(live, assertion);
    if (res.status !== 200) return undefined;
    this.tally.acknowledged++;
    const claims = decodeJwt(assertion);
    this.model.assertions.push({ providerId: identity.providerId, assertion, jti: String(claims.jti), expiresAt: (Number(claims.exp) + 30) * 1000, cycle: live.cycle });
    const token = String(res.body.access_token);
    this.model.tokens.push({ token, providerId: identity.providerId, cycle: live.cycle });
    return answerAssertion ? assertion : token;
  }

  /** A public lookup with a freshly solved captcha. */
  private async lookup(live: Life, rand: Rand, documentHash?: string): Promise<Answer | undefined> {
    const acts = [...this.model.acts.values()];
    const r = rand();
    const hash =
      documentHash ??
      (r < 0.5 ? pickOne(rand, acts.filter((a) => a.authorized).slice(-50))?.body.documentHash : r < 0.8 ? pickOne(rand, acts.slice(-50))?.body.documentHash : undefined) ??
      hex(rand, 64);
    const challenge = await live.call('GET', '/api/v1/public/captcha');
    if (challenge.status !== 200) return undefined;
    const altcha = await solve(challenge.body);
    const res = await live.call('POST', '/api/v1/public/verifications', { json: { documentHash: hash, altcha } });
    if (res.status !== 200) return res;
    this.tally.acknowledged++;
    const expires = Number(new URLSearchParams(String(challenge.body.salt).split('?')[1] ?? '').get('expires')) * 1000;
    this.model.captchas.push({ altcha, signature: String(challenge.body.signature), expiresAt: expires, cycle: live.cycle });
    if (res.body.authorized === true) {
      for (const act of res.body.acts as Array<{ actId: string }>) {
        this.model.lookedUpAuthorized.add(act.actId);
        const rec = this.model.acts.get(act.actId);
        if (rec) this.model.statusSeen(rec, 'authorized', live.cycle);
      }
    }
    return res;
  }

  private async registerProvider(live: Life, rand: Rand, w: number, n: number): Promise<void> {
    const pair = pickOne(rand, this.keyPairs)!;
    const name = `Crash provider ${this.seed} ${live.cycle}.${w}.${n}`;
    const res = await live.call('POST', '/api/v1/admin/providers', { bearer: this.adminToken, json: { name, jwks: { keys: [pair.publicJwk] } } });
    if (res.status !== 201) return;
    this.tally.acknowledged++;
    const providerId = String(res.body.providerId);
    this.model.providers.set(providerId, { identity: { ...pair, providerId }, name, cycle: live.cycle });
  }

  private async readAct(live: Life, rand: Rand): Promise<void> {
    const rec = pickOne(rand, [...this.model.acts.values()].slice(-100));
    if (!rec) return;
    await this.checkAct(live, rec, live.token);
  }

  /** GET the act: an acknowledged act exists, and is at least as far as acknowledged. */
  private async checkAct(live: Life, rec: ActRecord, token: string): Promise<string | undefined> {
    const res = await live.call('GET', `/api/v1/acts/${rec.actId}`, { bearer: token });
    if (res.status === 404) {
      this.tally.report('lost', `act:${rec.actId}`, `cycle ${live.cycle}: act ${rec.actId} acknowledged in cycle ${rec.cycle} answers 404`);
      return undefined;
    }
    if (res.status !== 200) return undefined;
    const { status, method, failure } = res.body as { status: string; method?: string; failure?: { reason?: string } };
    if (rec.authorized && (status !== 'authorized' || method !== 'sms')) {
      this.tally.report('lost', `authorized:${rec.actId}`, `cycle ${live.cycle}: act ${rec.actId} acknowledged as authorized answers ${status} (${String(method)})`);
    }
    if (rec.failedReason !== undefined && (status !== 'failed' || failure?.reason !== rec.failedReason)) {
      this.tally.report('lost', `failed:${rec.actId}`, `cycle ${live.cycle}: act ${rec.actId} acknowledged as failed (${rec.failedReason}) answers ${status} (${String(failure?.reason)})`);
    }
    this.model.statusSeen(rec, status, live.cycle, failure);
    return status;
  }

  // ---- checks after a restart ----------------------------------------------------------------

  /** What the previous lives acknowledged, asked of this one. */
  async checkAfterRestart(live: Life): Promise<void> {
    const since = this.checkedThrough;
    const rand = prng(derivedSeed(this.seed, live.cycle, 'checks'));
    const main = this.model.mainProvider!;

    // The ledger's signing key survived: a token issued before the crash still works.
    const oldToken = [...this.model.tokens].reverse().find((t) => t.providerId === main.identity.providerId);
    if (oldToken) {
      const me = await live.call('GET', '/api/v1/provider', { bearer: oldToken.token });
      if (me.status !== 200 || me.body.providerId !== main.identity.providerId) {
        this.tally.report('lost', `token:${oldToken.token.slice(-16)}`, `cycle ${live.cycle}: a token issued in cycle ${oldToken.cycle} is refused after the restart (${me.status})`);
      }
    }
    await this.newMainToken(live);

    // Acts: every one touched since the last check, and some older ones.
    const acts = [...this.model.acts.values()];
    const recent = acts.filter((a) => a.touched > since).slice(-CHECK_RECENT_ACTS);
    const older = sample(rand, acts.filter((a) => a.touched <= since), CHECK_OLDER_ACTS);
    await each([...recent, ...older], (rec) => this.checkAct(live, rec, live.token));

    // Keyed re-sends of acknowledged registrations give the same act, replayed.
    const keyed = [...this.model.keyed.values()].filter((k) => k.actId !== undefined);
    await each(sample(rand, keyed, CHECK_RESENDS), (req) => this.resendKeyed(live, req));

    // Providers acknowledged since are there, with their names.
    await each([...this.model.providers.values()].filter((p) => p.cycle > since), async (p) => {
      const res = await live.call('GET', `/api/v1/admin/providers/${encodeURIComponent(p.identity.providerId)}`, { bearer: this.adminToken });
      if (res.status !== 200 || res.body.name !== p.name) {
        this.tally.report('lost', `provider:${p.identity.providerId}`, `cycle ${live.cycle}: provider ${p.identity.providerId} acknowledged in cycle ${p.cycle} answers ${res.status}`);
      }
    });

    // Spent assertions and captchas are still refused.
    const now = Date.now();
    await each(this.model.assertions.filter((a) => a.cycle > since && a.expiresAt - 30_000 > now + 10_000).slice(-CHECK_SPENT), async (s) => {
      const res = await this.tokenRequest(live, s.assertion);
      if (res.status === 200) {
        this.tally.acknowledged++;
        this.tally.report('lost', `jti:${s.jti}`, `cycle ${live.cycle}: client assertion spent in cycle ${s.cycle} was accepted again after the restart`);
      } else if (res.status !== 401 || res.body.reason !== 'replayed') {
        this.tally.report('lost', `jti-reason:${s.jti}`, `cycle ${live.cycle}: client assertion spent in cycle ${s.cycle} refused as ${res.status} ${String(res.body?.reason)}, not as replayed`);
      }
    });
    await each(this.model.captchas.filter((c) => c.cycle > since && c.expiresAt > now + 10_000).slice(-CHECK_SPENT), async (c) => {
      const res = await live.call('POST', '/api/v1/public/verifications', { json: { documentHash: '0'.repeat(64), altcha: c.altcha } });
      if (res.status === 200) {
        this.tally.acknowledged++;
        this.tally.report('lost', `captcha:${c.signature}`, `cycle ${live.cycle}: captcha spent in cycle ${c.cycle} was accepted again after the restart`);
      } else if (res.status !== 400 || res.body?.type !== 'urn:problem:act-ledger:captcha-invalid') {
        if (res.status !== 429) this.tally.report('mismatch', `captcha-answer:${c.signature}`, `cycle ${live.cycle}: a spent captcha answered ${res.status} ${JSON.stringify(res.body)}`);
      }
    });

    // Read models caught up with the log, then equal to it: the public lookup and the failed list.
    if (await this.caughtUp(live)) {
      const authorized = acts.filter((a) => a.authorized);
      const others = acts.filter((a) => !a.authorized);
      const picks = [...sample(rand, authorized.filter((a) => a.touched > since), 2), ...sample(rand, authorized, 1), ...sample(rand, others, 1)].slice(0, CHECK_LOOKUPS);
      await each(picks, async (rec) => {
        const status = await this.checkAct(live, rec, live.token);
        if (status === undefined) return;
        const res = await this.lookup(live, rand, rec.body.documentHash);
        if (!res || res.status !== 200) return;
        const listed = (res.body.acts as Array<{ actId: string }>).some((a) => a.actId === rec.actId);
        if ((status === 'authorized') !== listed || res.body.authorized !== (status === 'authorized')) {
          this.tally.report('mismatch', `lookup:${rec.actId}:${status}`, `cycle ${live.cycle}: act ${rec.actId} is ${status}, the caught-up public lookup of its document says authorized=${String(res.body.authorized)}, listed=${listed}`);
        }
      });
      const failedSince = acts.filter((a) => a.failedReason !== undefined && a.touched > since);
      if (failedSince.length > 0) {
        const res = await live.call('GET', `/api/v1/admin/failed-authorizations?providerId=${encodeURIComponent(main.identity.providerId)}&limit=1000`, { bearer: this.adminToken });
        if (res.status === 200) {
          const listed = new Map((res.body.failedAuthorizations as Array<{ actId: string; reason: string }>).map((f) => [f.actId, f.reason]));
          for (const rec of failedSince) {
            if (listed.get(rec.actId) !== rec.failedReason) {
              this.tally.report('mismatch', `failed-list:${rec.actId}`, `cycle ${live.cycle}: act ${rec.actId} failed (${rec.failedReason}); the caught-up failed-authorizations list says ${String(listed.get(rec.actId))}`);
            }
          }
        }
      }
    }
    this.checkedThrough = live.cycle - 1;
  }

  /** Polls /readyz (a bounded number of times) until every projection has applied the whole log. */
  private async caughtUp(live: Life): Promise<boolean> {
    let last: unknown;
    for (let i = 0; i < READY_POLLS; i++) {
      const res = await live.call('GET', '/readyz');
      const p = res.body?.checks?.projections as { ok?: boolean; running?: boolean; lagEvents?: number; position?: number; headPosition?: number } | undefined;
      const head = res.body?.checks?.eventStore?.headPosition as number | undefined;
      last = res.body;
      if (p?.ok && p.running && p.lagEvents === 0 && head !== undefined && (p.position ?? -1) >= head) return true;
      await new Promise((r) => setTimeout(r, READY_POLL_GAP_MS));
    }
    this.tally.report('mismatch', `not-caught-up:${live.cycle}`, `cycle ${live.cycle}: projections did not catch up within ${READY_POLLS} polls of /readyz: ${JSON.stringify(last)}`);
    return false;
  }
}
