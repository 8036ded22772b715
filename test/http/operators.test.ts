import { createHash, randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Ledger } from '../../src/composition/ledger.ts';
import { actAsToken, registerProvider, seppOf, testLedger } from '../support/ledger.ts';
import { projectionsCaughtUp, providerSession, solvedCaptcha } from '../support/act-flows.ts';
import { parseSamples, sampleValue, type Sample } from '../support/prometheus-text.ts';

const JANA = 'test-person-jana';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('/metrics after traffic: the request histogram and the duty officer\'s counters', () => {
  let ledger: Ledger;
  let samples: Sample[];
  let body: string;
  let authorizedActId: string;

  beforeAll(async () => {
    ledger = await testLedger({ LEDGER_CAPTCHA_MAX_NUMBER: '1000' }, { inMemory: true });
    const provider = await providerSession(ledger);
    // The first act is registered twice under one Idempotency-Key: one act, counted once.
    const sepp = await seppOf(ledger, JANA, provider.provider.providerId);
    const register = () =>
      ledger.app.inject({
        method: 'POST',
        url: '/api/v1/acts',
        headers: { authorization: `Bearer ${provider.token}`, 'idempotency-key': 'permit-2025-0001' },
        payload: { sepp, documentHash: sha256('building permit'), name: 'Stavební povolení' },
      });
    const [first, again] = [await register(), await register()];
    expect([first.statusCode, again.headers['idempotent-replayed']]).toEqual([201, 'true']);
    authorizedActId = (first.json() as { actId: string }).actId;
    await provider.authorizeByCode(authorizedActId, JANA);
    await provider.exhaustAttempts(await provider.register(JANA, 'tax return', 'Daňové přiznání'));
    await ledger.app.inject({ method: 'GET', url: `/api/v1/acts/${authorizedActId}`, headers: { authorization: `Bearer ${provider.token}` } });
    // Captcha refusals: none sent, a malformed one, and a good one spent twice.
    const verify = (altcha?: string) => ledger.app.inject({ method: 'POST', url: '/api/v1/public/verifications', payload: { documentHash: sha256('anything'), ...(altcha ? { altcha } : {}) } });
    const solved = await solvedCaptcha(ledger);
    expect((await verify()).statusCode).toBe(400);
    expect((await verify('bm90IGEgc29sdXRpb24=')).statusCode).toBe(400);
    expect((await verify(solved)).statusCode).toBe(200);
    expect((await verify(solved)).statusCode).toBe(400);
    expect((await ledger.app.inject({ method: 'GET', url: `/no/such/${randomUUID()}` })).statusCode).toBe(404);
    await projectionsCaughtUp(ledger);
    const res = await ledger.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    body = res.body;
    samples = parseSamples(body);
  });
  afterAll(() => ledger?.close());

  it('counts acts registered, authorized and failed by reason, and codes by channel', () => {
    expect(sampleValue(samples, 'ledger_acts_registered_total')).toBe(2);
    expect(sampleValue(samples, 'ledger_acts_authorized_total', { method: 'sms' })).toBe(1);
    expect(sampleValue(samples, 'ledger_acts_authorized_total', { method: 'authentication' })).toBe(0);
    expect(sampleValue(samples, 'ledger_acts_failed_total', { reason: 'attempts-exhausted' })).toBe(1);
    expect(sampleValue(samples, 'ledger_acts_failed_total', { reason: 'expired' })).toBe(0);
    expect(sampleValue(samples, 'ledger_codes_issued_total', { channel: 'sms' })).toBe(2);
    expect(sampleValue(samples, 'ledger_codes_issued_total', { channel: 'mobile-key' })).toBe(0);
    expect(sampleValue(samples, 'ledger_acts_purged_total')).toBe(0);
  });

  it('counts captcha refusals by reason', () => {
    expect(sampleValue(samples, 'ledger_captcha_refusals_total', { reason: 'missing' })).toBe(1);
    expect(sampleValue(samples, 'ledger_captcha_refusals_total', { reason: 'invalid' })).toBe(1);
    expect(sampleValue(samples, 'ledger_captcha_refusals_total', { reason: 'reused' })).toBe(1);
  });

  it('times requests by route pattern, method and status, never by the raw URL', () => {
    const act = { route: '/api/v1/acts/:actId', method: 'GET', status_code: '200' };
    expect(sampleValue(samples, 'ledger_http_request_duration_seconds_count', act)).toBeGreaterThanOrEqual(1);
    expect(sampleValue(samples, 'ledger_http_request_duration_seconds_bucket', { ...act, le: '+Inf' })).toBe(sampleValue(samples, 'ledger_http_request_duration_seconds_count', act));
    expect(sampleValue(samples, 'ledger_http_request_duration_seconds_count', { route: '/api/v1/acts', method: 'POST', status_code: '201' })).toBeGreaterThanOrEqual(2);
    expect(sampleValue(samples, 'ledger_http_request_duration_seconds_count', { route: '/api/v1/public/verifications', method: 'POST', status_code: '400' })).toBe(3);
    expect(sampleValue(samples, 'ledger_http_request_duration_seconds_count', { route: 'unmatched', method: 'GET', status_code: '404' })).toBe(1);
    const routes = new Set(samples.filter((s) => s.name === 'ledger_http_request_duration_seconds_count').map((s) => s.labels.route));
    for (const route of routes) expect(route === 'unmatched' || ledger.app.hasRoute({ url: route!, method: 'GET' }) || ledger.app.hasRoute({ url: route!, method: 'POST' })).toBe(true);
    expect(body).not.toContain(authorizedActId);
    expect(body).toContain('# HELP ledger_http_request_duration_seconds ');
  });

  it('shows the process and event-loop figures beside the ledger\'s', () => {
    // CPU time is counted from when collection began, in the kernel's ticks: it may still read 0 here.
    expect(body).toContain('# TYPE process_cpu_user_seconds_total counter');
    expect(sampleValue(samples, 'process_cpu_user_seconds_total')).toBeGreaterThanOrEqual(0);
    expect(sampleValue(samples, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    expect(body).toContain('# TYPE nodejs_eventloop_lag_seconds gauge');
    expect(sampleValue(samples, 'ledger_projections_running')).toBe(1);
  });
});

describe('overload: 503 with Retry-After instead of slowing everyone', () => {
  let ledger: Ledger;
  // One byte of heap: once under-pressure has taken its first sample, every request is over the limit.
  beforeAll(async () => {
    ledger = await testLedger({ LEDGER_MAX_HEAP_USED_BYTES: '1' }, { inMemory: true });
    await vi.waitFor(() => expect(ledger.app.isUnderPressure()).toBe(true), { timeout: 10_000, interval: 50 });
  });
  afterAll(() => ledger?.close());

  it('refuses work with problem overloaded and a Retry-After', async () => {
    for (const request of [
      { method: 'GET' as const, url: '/api/v1/provider', headers: { authorization: 'Bearer whatever' } },
      { method: 'POST' as const, url: '/api/v1/public/verifications', payload: { documentHash: sha256('x') } },
      { method: 'GET' as const, url: '/verify' },
    ]) {
      const res = await ledger.app.inject(request);
      expect(res.statusCode, request.url).toBe(503);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect(res.json()).toMatchObject({ type: 'urn:problem:act-ledger:overloaded', status: 503 });
    }
  });

  it('still answers the health routes and /metrics, so an operator can see', async () => {
    for (const url of ['/healthz', '/readyz', '/metrics']) expect((await ledger.app.inject({ method: 'GET', url })).statusCode, url).toBe(200);
    const metrics = parseSamples((await ledger.app.inject({ method: 'GET', url: '/metrics' })).body);
    expect(sampleValue(metrics, 'ledger_http_request_duration_seconds_count', { route: '/api/v1/provider', method: 'GET', status_code: '503' })).toBe(1);
  });
});

describe('rate limit per provider on the provider API', () => {
  let ledger: Ledger | undefined;
  afterEach(async () => {
    await ledger?.close();
    ledger = undefined;
  });

  async function twoProviders(env: Record<string, string>) {
    ledger = await testLedger({ LEDGER_PROVIDER_RATE_LIMIT: '5', ...env }, { inMemory: true });
    const tokens: string[] = [];
    for (const name of ['Úřad A', 'Úřad B']) tokens.push(await actAsToken(ledger, await registerProvider(ledger, { name })));
    const l = ledger;
    const readAct = (token: string) => l.app.inject({ method: 'GET', url: `/api/v1/acts/${randomUUID()}`, headers: { authorization: `Bearer ${token}` } });
    return { tokens: tokens as [string, string], readAct };
  }

  it('answers 429 problem+json with Retry-After to a provider past its limit, and not to another provider from the same address', async () => {
    const { tokens: [a, b], readAct } = await twoProviders({});
    for (let i = 0; i < 5; i++) expect((await readAct(a)).statusCode).toBe(404);
    const refused = await readAct(a);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.json()).toMatchObject({ type: 'urn:problem:act-ledger:rate-limited', status: 429 });
    const wait = Number(refused.headers['retry-after']);
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(60);
    // The same limit covers every provider route: a code request is refused before its body is read.
    const code = await ledger!.app.inject({ method: 'POST', url: `/api/v1/acts/${randomUUID()}/codes`, headers: { authorization: `Bearer ${a}` }, payload: 'not json at all' });
    expect(code.statusCode).toBe(429);
    // Another provider, same client address (app.inject comes from 127.0.0.1), is not affected.
    expect((await readAct(b)).statusCode).toBe(404);
    // Authentication comes first: a caller without a valid token is refused as such, not counted.
    expect((await readAct('not-a-token')).statusCode).toBe(401);
  });

  it('exempts the client addresses in LEDGER_RATE_LIMIT_ALLOW, as the per-client limits do', async () => {
    const { tokens: [a], readAct } = await twoProviders({ LEDGER_RATE_LIMIT_ALLOW: '127.0.0.1' });
    const statuses = new Set<number>();
    for (let i = 0; i < 8; i++) statuses.add((await readAct(a)).statusCode);
    expect(statuses).toEqual(new Set([404]));
  });
});
