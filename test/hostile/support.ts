/**
 * Shared helpers of the hostile-input suite: everything goes over real HTTP to a real
 * `ledger serve` process (test/support/server.ts), with fetch for ordinary requests and node:net
 * for requests no HTTP client would send.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { expect } from 'vitest';
import { importJWK, SignJWT, type JWK } from 'jose';
import { problemCatalog, type ProblemName } from '../../src/http/problems.ts';
import { clientAssertion, providerKeyPair, type ProviderIdentity } from '../support/ledger.ts';
import { deliveredMessageFrom, settledDelivery, type DeliveredCodeView } from '../support/delivery.ts';
import { solve } from '../support/act-flows.ts';
import { startServer, type RunningServer } from '../support/server.ts';

export type { ProviderIdentity, RunningServer };
export { clientAssertion, providerKeyPair, solve };

export const JANA = 'test-person-jana';
export const PETR = 'test-person-petr';
export const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
export const RETURN_URL = 'https://provider.example/return';
const PROBLEM_PREFIX = 'urn:problem:act-ledger:';

/** A server for one test file; the data dir is removed when it stops. */
export async function startHostileServer(env: Record<string, string> = {}): Promise<RunningServer> {
  // "Nothing recorded" is measured as the log head not moving; the log's own checkpoints are appended
  // on a timer, whatever the requests, so they wait a day here.
  return startServer({ LOG_LEVEL: 'info', LEDGER_CHECKPOINT_EVERY: 'P1D', ...env });
}

export async function stopHostileServer(server: RunningServer | undefined): Promise<void> {
  if (!server) return;
  await server.stop();
  rmSync(server.dataDir, { recursive: true, force: true });
}

/** One HTTP answer, read completely. */
export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed body when the answer is JSON (application/json or application/problem+json). */
  body: Record<string, unknown> | undefined;
}

export interface CallOptions {
  /** A bearer token, sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** A value to JSON-encode as the body (sent as application/json). */
  json?: unknown;
  /** A raw body, sent as is (set the content type in headers). */
  raw?: string | Buffer | URLSearchParams;
  headers?: Record<string, string>;
}

export async function call(server: RunningServer, method: string, path: string, options: CallOptions = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let body: RequestInit['body'];
  if (options.json !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.raw !== undefined) {
    body = options.raw;
  }
  const res = await fetch(`${server.url}${path}`, { method, headers, redirect: 'manual', ...(body !== undefined ? { body } : {}) });
  return answerOf(res);
}

export async function answerOf(res: Response): Promise<Answer> {
  const text = await res.text();
  let body: Record<string, unknown> | undefined;
  if (/json/.test(res.headers.get('content-type') ?? '')) {
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      body = undefined;
    }
  }
  return { status: res.status, headers: res.headers, text, body };
}

/** `status type` of an answer, for failure messages and the report. */
export const describeAnswer = (a: Answer): string =>
  `${a.status} ${String(a.body?.type ?? a.headers.get('content-type') ?? '')} ${a.text.slice(0, 300)}`;

/** Every answer of the suite: never a 5xx. */
export function expectNo5xx(a: Answer, label = ''): void {
  expect(a.status, `${label} answered ${describeAnswer(a)}`).toBeLessThan(500);
}

/**
 * A refusal as application/problem+json with a known, stable `type` and a matching `status`.
 * `types` lists the acceptable problem names (the first is the one the suite prefers).
 */
export function expectProblem(a: Answer, statuses: number | number[], types: ProblemName | ProblemName[], label = ''): void {
  const okStatuses = Array.isArray(statuses) ? statuses : [statuses];
  const okTypes = (Array.isArray(types) ? types : [types]).map((t) => `${PROBLEM_PREFIX}${t}`);
  const what = `${label} answered ${describeAnswer(a)}`;
  expectNo5xx(a, label);
  expect(okStatuses, what).toContain(a.status);
  expect(a.headers.get('content-type') ?? '', what).toMatch(/^application\/problem\+json/);
  expect(a.body, what).toBeDefined();
  expect(okTypes, what).toContain(a.body!.type);
  expect(a.body!.status, what).toBe(a.status);
  expect(a.headers.get('location'), what).toBeNull();
}

/** Any problem+json refusal of the catalog (stable type, status matching the catalog's). */
export function expectSomeProblem(a: Answer, label = ''): void {
  const what = `${label} answered ${describeAnswer(a)}`;
  expectNo5xx(a, label);
  expect(a.status, what).toBeGreaterThanOrEqual(400);
  expect(a.headers.get('content-type') ?? '', what).toMatch(/^application\/problem\+json/);
  const type = String(a.body?.type ?? '');
  expect(type.startsWith(PROBLEM_PREFIX), what).toBe(true);
  const name = type.slice(PROBLEM_PREFIX.length) as ProblemName;
  expect(problemCatalog[name], what).toBeDefined();
  expect(a.status, what).toBe(problemCatalog[name].status);
}

/** A browser route's refusal: an HTML page, a 4xx, never a redirect. */
export function expectHtmlRefusal(a: Answer, statuses: number | number[] = [400, 403, 404, 409, 429], label = ''): void {
  const okStatuses = Array.isArray(statuses) ? statuses : [statuses];
  const what = `${label} answered ${describeAnswer(a)}`;
  expectNo5xx(a, label);
  expect(okStatuses, what).toContain(a.status);
  expect(a.headers.get('content-type') ?? '', what).toMatch(/^text\/html/);
  expect(a.headers.get('location'), what).toBeNull();
  expect(a.text, what).toContain('<h1>');
}

/** The global position of the last event, as /metrics reports it. */
export async function logHead(server: RunningServer): Promise<number> {
  const res = await fetch(`${server.url}/metrics`);
  const text = await res.text();
  const m = /^ledger_event_store_head_position (\d+)$/m.exec(text);
  if (!m) throw new Error(`no head position in /metrics: ${text.slice(0, 200)}`);
  return Number(m[1]);
}

/** Waits until /healthz answers 200 (bounded); the server is alive and serving. */
export async function expectServing(server: RunningServer): Promise<void> {
  const res = await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(10_000) });
  expect(res.status).toBe(200);
  await res.body?.cancel();
}

/** What the server wrote that marks a request it could not handle. */
export function unhandledErrorLines(server: RunningServer): string[] {
  return server
    .logs()
    .split('\n')
    .filter((l) => /unhandled error|"level":50|"level":60|authorization by authentication failed|UnhandledPromiseRejection|uncaught/i.test(l));
}

// ---------------------------------------------------------------- provider set-up over HTTP

export interface Provider extends ProviderIdentity {
  token: string;
}

export async function registerProvider(
  server: RunningServer,
  options: { name?: string; returnUrls?: string[]; alg?: 'ES256' | 'EdDSA' } = {},
): Promise<ProviderIdentity> {
  const pair = await providerKeyPair(options.alg);
  const res = await call(server, 'POST', '/api/v1/admin/providers', {
    token: server.adminToken,
    json: { name: options.name ?? 'Hostile suite e-service', jwks: { keys: [pair.publicJwk] }, returnUrls: options.returnUrls ?? [RETURN_URL] },
  });
  if (res.status !== 201) throw new Error(`provider registration failed: ${describeAnswer(res)}`);
  return { ...pair, providerId: String(res.body!.providerId) };
}

export const tokenUrl = (server: RunningServer) => `${server.url}/api/v1/token`;

export const tokenForm = (assertion: string, extra: Record<string, string> = {}) =>
  new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE, client_assertion: assertion, ...extra });

export async function requestToken(server: RunningServer, assertion: string): Promise<Answer> {
  return call(server, 'POST', '/api/v1/token', { raw: tokenForm(assertion), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
}

export async function accessToken(server: RunningServer, id: ProviderIdentity): Promise<string> {
  const res = await requestToken(server, await clientAssertion(id, tokenUrl(server)));
  if (res.status !== 200) throw new Error(`token failed: ${describeAnswer(res)}`);
  return String(res.body!.access_token);
}

export async function providerWithToken(server: RunningServer, options: Parameters<typeof registerProvider>[1] = {}): Promise<Provider> {
  const id = await registerProvider(server, options);
  return { ...id, token: await accessToken(server, id) };
}

export async function seppOf(server: RunningServer, aifo: string, providerId: string): Promise<string> {
  const res = await call(server, 'GET', `/api/v1/admin/citizens/${encodeURIComponent(aifo)}/sepp?providerId=${encodeURIComponent(providerId)}`, { token: server.adminToken });
  if (res.status !== 200) throw new Error(`sepp lookup failed: ${describeAnswer(res)}`);
  return String(res.body!.sepp);
}

export const randomHash = () => randomBytes(32).toString('hex');

export interface ActBody {
  sepp: string;
  documentHash: string;
  name: string;
  description?: string;
  loa?: string;
}

export async function registerAct(server: RunningServer, token: string, body: ActBody, headers: Record<string, string> = {}): Promise<string> {
  const res = await call(server, 'POST', '/api/v1/acts', { token, json: body, headers });
  if (res.status !== 201) throw new Error(`act registration failed: ${describeAnswer(res)}`);
  return String(res.body!.actId);
}

export async function getAct(server: RunningServer, token: string, actId: string): Promise<Record<string, unknown>> {
  const res = await call(server, 'GET', `/api/v1/acts/${actId}`, { token });
  if (res.status !== 200) throw new Error(`act read failed: ${describeAnswer(res)}`);
  return res.body!;
}

/** The newest code the simulated phone of `aifo` received. */
export async function lastCode(server: RunningServer, aifo: string): Promise<string> {
  const res = await call(server, 'GET', `/api/v1/simulator/outbox?aifo=${encodeURIComponent(aifo)}`, { token: server.adminToken });
  const messages = res.body!.messages as Array<{ code: string }>;
  return messages.at(-1)!.code;
}

/** Every message on the simulated phone of `aifo`. */
export async function phoneMessages(server: RunningServer, aifo: string): Promise<Array<{ code: string; text: string; channel: string }>> {
  const res = await call(server, 'GET', `/api/v1/simulator/outbox?aifo=${encodeURIComponent(aifo)}`, { token: server.adminToken });
  return res.body!.messages as Array<{ code: string; text: string; channel: string }>;
}

/**
 * Requests a code and waits until the act records it as sent (delivery runs after the answer, and
 * its CodeDelivered is in the log from then on), then reads it on the simulated phone.
 */
export async function issueCode(server: RunningServer, token: string, actId: string, aifo: string, channel: 'sms' | 'mobile-key' = 'sms') {
  const res = await call(server, 'POST', `/api/v1/acts/${actId}/codes`, { token, json: { channel } });
  if (res.status !== 201) throw new Error(`code failed: ${describeAnswer(res)}`);
  const delivery = await settledDelivery(() => getAct(server, token, actId) as Promise<{ codes: DeliveredCodeView[] }>, String(res.body!.codeId));
  if (delivery.delivery !== 'sent') throw new Error(`code delivery failed: ${delivery.failure?.reason}`);
  const message = await deliveredMessageFrom(() => phoneMessages(server, aifo), actId, String(res.body!.codeSha256));
  return { codeId: String(res.body!.codeId), code: message.code };
}

export const codeSha512 = (actId: string, code: string) => createHash('sha512').update(`${actId}:${code}`, 'utf8').digest('hex');

/** The ledger's own signing key (the test can read the data dir): forges tokens the ledger "signed". */
export async function ledgerSigningKey(server: RunningServer): Promise<{ kid: string; sign: (header: Record<string, unknown>, claims: Record<string, unknown>) => Promise<string> }> {
  const file = JSON.parse(readFileSync(join(server.dataDir, 'ledger-keys.json'), 'utf8')) as { signing: Array<{ kid: string; privateJwk: JWK }> };
  const current = file.signing.at(-1)!;
  const key = await importJWK(current.privateJwk, 'EdDSA');
  return {
    kid: current.kid,
    sign: (header, claims) => new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', kid: current.kid, ...header } as { alg: string }).sign(key),
  };
}

/** The ledger's captcha key (base64url, as the captcha service uses it for HMAC). */
export function ledgerCaptchaKey(server: RunningServer): string {
  const file = JSON.parse(readFileSync(join(server.dataDir, 'ledger-keys.json'), 'utf8')) as { secrets: { captchaKey: string } };
  return Buffer.from(file.secrets.captchaKey, 'base64').toString('base64url');
}

/** A solved captcha of GET /api/v1/public/captcha. */
export async function solvedCaptcha(server: RunningServer): Promise<string> {
  const res = await call(server, 'GET', '/api/v1/public/captcha');
  if (res.status !== 200) throw new Error(`captcha failed: ${describeAnswer(res)}`);
  return solve(res.body as Parameters<typeof solve>[0]);
}

// ---------------------------------------------------------------- raw HTTP over node:net

export interface RawAnswer {
  /** Everything the server sent on this connection. */
  raw: string;
  /** The status of the first response, if one came. */
  status?: number;
  /** True when the server closed the connection (or reset it) before the wait ended. */
  closedByServer: boolean;
  /** Statuses of every response seen on the connection, in order. */
  statuses: number[];
}

function statusesOf(raw: string): number[] {
  // Pipelined answers follow each other with no CRLF between a body and the next status line.
  return [...raw.matchAll(/HTTP\/1\.[01] (\d{3}) [^\r\n]*\r\n/g)].map((m) => Number(m[1]));
}

/**
 * Opens a connection, writes `chunks` one after the other, and collects what comes back until the
 * server closes, `until` holds, or `waitMs` passes (a bound, never asserted). The connection is not
 * half-closed unless `halfClose` (Node then aborts requests still queued on it): requests made with
 * requestHead ask for `Connection: close`, so the server ends the connection once it has answered.
 */
export function rawExchange(
  server: RunningServer,
  chunks: Array<string | Buffer> | string | Buffer,
  options: { waitMs?: number; halfClose?: boolean; until?: (raw: string) => boolean } = {},
): Promise<RawAnswer> {
  const { port, hostname } = new URL(server.url);
  const list = Array.isArray(chunks) ? chunks : [chunks];
  const waitMs = options.waitMs ?? 5000;
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    let raw = '';
    let done = false;
    const finish = (closedByServer: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const statuses = statusesOf(raw);
      resolve({ raw, closedByServer, statuses, ...(statuses[0] !== undefined ? { status: statuses[0] } : {}) });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      raw += d;
      if (options.until?.(raw)) finish(false);
    });
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('end', () => finish(true));
    socket.on('connect', () => {
      for (const c of list) socket.write(c);
      if (options.halfClose) socket.end();
    });
  });
}

/** A connection the test keeps open, having sent `head`; answers what arrives. */
export interface HeldConnection {
  socket: Socket;
  received(): string;
  closedByServer(): boolean;
  /** Resolves once the server has answered or closed, or after `waitMs` (a bound). */
  settled(waitMs: number): Promise<RawAnswer>;
}

export function holdConnection(server: RunningServer, head: string | Buffer): Promise<HeldConnection> {
  const { port, hostname } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    let raw = '';
    let closed = false;
    const waiters: Array<() => void> = [];
    const wake = () => waiters.splice(0).forEach((w) => w());
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      raw += d;
      wake();
    });
    socket.on('error', () => {
      closed = true;
      wake();
    });
    socket.on('close', () => {
      closed = true;
      wake();
    });
    socket.once('connect', () => {
      socket.write(head);
      resolve({
        socket,
        received: () => raw,
        closedByServer: () => closed,
        settled: (waitMs) =>
          new Promise<RawAnswer>((done) => {
            const report = () => {
              clearTimeout(timer);
              const statuses = statusesOf(raw);
              done({ raw, closedByServer: closed, statuses, ...(statuses[0] !== undefined ? { status: statuses[0] } : {}) });
            };
            const timer = setTimeout(report, waitMs);
            const check = () => (closed || statusesOf(raw).length > 0 ? report() : waiters.push(check));
            check();
          }),
      });
    });
    socket.once('error', reject);
  });
}

/** A request head for raw requests; `Host` is the server's, and `Connection: close` unless a Connection header is given. */
export function requestHead(server: RunningServer, method: string, path: string, headers: Record<string, string> = {}): string {
  const host = new URL(server.url).host;
  const connection = Object.keys(headers).some((k) => k.toLowerCase() === 'connection') ? [] : ['Connection: close'];
  const lines = [`${method} ${path} HTTP/1.1`, `Host: ${host}`, ...connection, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** Chunks of at most `size` items, for bounded parallelism where it is not the point. */
export const times = (n: number) => Array.from({ length: n }, (_, i) => i);

// ---------------------------------------------------------------- browser flows (authorization by authentication)

/** `name=value` of each Set-Cookie of an answer. */
export const cookiePairs = (a: Answer): string[] => a.headers.getSetCookie().map((line) => line.split(';')[0]!.trim());

/** GET /authorize/{actId} with redirect_uri and state; `null` leaves a parameter out. */
export async function startAuthorization(server: RunningServer, actId: string, redirectUri: string | null = RETURN_URL, state: string | null = 'provider-state-1') {
  const q = new URLSearchParams();
  if (redirectUri !== null) q.set('redirect_uri', redirectUri);
  if (state !== null) q.set('state', state);
  const answer = await call(server, 'GET', `/authorize/${actId}?${q}`);
  return { answer, cookie: cookiePairs(answer).join('; ') };
}

/** Answers the simulated identity node's page at `location` (the ledger's 303): the callback URL it sends the browser to. */
export async function simulatorChoice(server: RunningServer, location: string, choice: Record<string, string> = { action: 'authenticate', person: 'test-person-jana', means: 'eid-card' }): Promise<string> {
  const url = new URL(location);
  const request = url.searchParams.get('request');
  if (!request) throw new Error(`no request in ${location}`);
  const answered = await call(server, 'POST', url.pathname, { raw: new URLSearchParams({ request, ...choice }), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  const next = answered.headers.get('location');
  if (answered.status !== 303 || !next) throw new Error(`simulator did not answer: ${describeAnswer(answered)}`);
  return new URL(next, server.url).href;
}

/** Starts an authorization and completes the simulator: the callback URL and the transaction cookie, not yet used. */
export async function throughSimulator(server: RunningServer, actId: string, choice?: Record<string, string>, redirectUri = RETURN_URL) {
  const { answer, cookie } = await startAuthorization(server, actId, redirectUri);
  if (answer.status !== 303) throw new Error(`authorize did not start: ${describeAnswer(answer)}`);
  const callbackUrl = await simulatorChoice(server, answer.headers.get('location')!, choice);
  return { callbackUrl, cookie };
}

export async function getWithCookie(url: string, cookie?: string, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(url, { redirect: 'manual', headers: { ...headers, ...(cookie ? { cookie } : {}) } });
  return answerOf(res);
}
