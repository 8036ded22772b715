import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { randomBytes, randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import type { Ledger } from '../../src/composition/ledger.ts';
import { streamNames } from '../../events/envelope.ts';
import { ADMIN_TOKEN, actAsToken, registerProvider, seppOf, testLedger, type ProviderIdentity } from '../support/ledger.ts';

const JANA = 'test-person-jana';
const RETURN = 'https://provider.example/return';
const RETURN_WITH_QUERY = 'https://provider.example/return?lang=cs';

describe('GET /authorize/{actId} and its callback (app.inject)', () => {
  let ledger: Ledger;
  let provider: ProviderIdentity;
  let other: ProviderIdentity;
  let token: string;

  beforeAll(async () => {
    ledger = await testLedger();
    provider = await registerProvider(ledger, { name: 'Tax office e-service', returnUrls: [RETURN, RETURN_WITH_QUERY] });
    other = await registerProvider(ledger, { name: 'Another e-service', returnUrls: ['https://other.example/return'] });
    token = await actAsToken(ledger, provider);
  });
  afterAll(() => ledger.close());
  afterEach(() => vi.useRealTimers());

  const newAct = async (aifo = JANA) => {
    const sepp = await seppOf(ledger, aifo, provider.providerId);
    const res = await ledger.app.inject({
      method: 'POST',
      url: '/api/v1/acts',
      headers: { authorization: `Bearer ${token}` },
      payload: { sepp, documentHash: randomBytes(32).toString('hex'), name: 'Tax return 2026' },
    });
    expect(res.statusCode, res.body).toBe(201);
    return (res.json() as { actId: string }).actId;
  };
  const actResult = async (actId: string) =>
    (await ledger.app.inject({ method: 'GET', url: `/api/v1/acts/${actId}`, headers: { authorization: `Bearer ${token}` } })).json() as {
      status: string;
      failure?: { reason: string };
    };
  /** null leaves the parameter out. */
  const authorize = (actId: string, redirectUri: string | null, state: string | null = 'provider-state-1') => {
    const q = new URLSearchParams();
    if (redirectUri !== null) q.set('redirect_uri', redirectUri);
    if (state !== null) q.set('state', state);
    return ledger.app.inject({ method: 'GET', url: `/authorize/${actId}?${q}` });
  };
  const eventTypes = async (actId: string) => (await ledger.services.eventStore.readStream(streamNames.act(actId))).map((e) => e.type);
  const cookiesOf = (res: LightMyRequestResponse) => Object.fromEntries(res.cookies.map((c) => [c.name, c.value]));

  /** Starts the flow and picks in the simulator: answers the callback request (not yet sent) and its cookies. */
  const throughSimulator = async (actId: string, form: Record<string, string>, redirectUri = RETURN) => {
    const started = await authorize(actId, redirectUri);
    expect(started.statusCode, started.body).toBe(303);
    const simulatorUrl = new URL(started.headers.location as string);
    const page = await ledger.app.inject({ method: 'GET', url: `${simulatorUrl.pathname}${simulatorUrl.search}` });
    expect(page.statusCode).toBe(200);
    const answered = await ledger.app.inject({
      method: 'POST',
      url: simulatorUrl.pathname,
      payload: new URLSearchParams({ request: simulatorUrl.searchParams.get('request')!, ...form }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(answered.statusCode, answered.body).toBe(303);
    const callback = new URL(answered.headers.location as string);
    return { started, page, callbackPath: `${callback.pathname}${callback.search}`, cookies: cookiesOf(started) };
  };

  const refusedAsPage = (res: LightMyRequestResponse, status: number) => {
    expect(res.statusCode, res.body).toBe(status);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers.location).toBeUndefined();
    expect(res.body).toContain('<h1>');
  };

  describe('open-redirect attempts are refused with an HTML page, never a redirect', () => {
    const attempts: Array<[string, string]> = [
      ['an unregistered URI on another host', 'https://evil.example/return'],
      ['a different host that starts with the registered one', 'https://provider.example.evil.example/return'],
      ['credentials in front of another host', 'https://provider.example@evil.example/return'],
      ['a different path', 'https://provider.example/other'],
      ['a longer path', 'https://provider.example/return/../../evil'],
      ['an extra query', 'https://provider.example/return?next=https://evil.example/'],
      ['a different scheme', 'http://provider.example/return'],
      ['a javascript: URI', 'javascript:alert(document.cookie)'],
      ['a scheme-relative URI', '//evil.example/return'],
      ['a registered URI of another provider', 'https://other.example/return'],
    ];
    for (const [what, uri] of attempts) {
      it(`refuses ${what}`, async () => {
        const actId = await newAct();
        const res = await authorize(actId, uri);
        refusedAsPage(res, 400);
        expect(res.body).toContain('data-problem="return-address-unregistered"');
        expect(res.headers['set-cookie']).toBeUndefined();
        // Nothing was started for the act.
        expect(await eventTypes(actId)).toEqual(['ActRegistered']);
      });
    }

    it('refuses a missing redirect_uri and a missing state', async () => {
      const actId = await newAct();
      refusedAsPage(await authorize(actId, null), 400);
      refusedAsPage(await authorize(actId, RETURN, null), 400);
      refusedAsPage(await authorize(actId, RETURN, ''), 400);
    });
  });

  it('answers an unknown act with 404 and a page', async () => {
    refusedAsPage(await authorize(randomUUID(), RETURN), 404);
    refusedAsPage(await authorize('not-an-act', RETURN), 404);
  });

  it('sends the browser to the identity provider with a short-lived, HttpOnly, SameSite=Lax transaction cookie', async () => {
    const actId = await newAct();
    const res = await authorize(actId, RETURN);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toMatch(new RegExp(`^${ledger.services.config.publicUrl}/simulator/identity\\?request=`));
    const [cookie] = res.cookies;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/authorize' });
    expect(cookie!.maxAge).toBeGreaterThan(0);
    expect(cookie!.maxAge).toBeLessThanOrEqual(15 * 60);
    // The cookie is sealed: the verifier, nonce and act id are not readable in it.
    expect(cookie!.value).not.toContain(actId);
    expect(await eventTypes(actId)).toEqual(['ActRegistered', 'AuthenticationRequested']);
  });

  it('returns to the redirect_uri with act_id and state only, and refuses the same callback replayed', async () => {
    const actId = await newAct();
    const flow = await throughSimulator(actId, { action: 'authenticate', person: JANA, means: 'eid-card' }, RETURN_WITH_QUERY);
    const back = await ledger.app.inject({ method: 'GET', url: flow.callbackPath, cookies: flow.cookies });
    expect(back.statusCode, back.body).toBe(303);
    const location = new URL(back.headers.location as string);
    expect(`${location.origin}${location.pathname}`).toBe('https://provider.example/return');
    expect([...location.searchParams.keys()].sort()).toEqual(['act_id', 'lang', 'state']);
    expect(location.searchParams.get('act_id')).toBe(actId);
    expect(location.searchParams.get('state')).toBe('provider-state-1');
    expect(location.searchParams.get('lang')).toBe('cs');
    // The transaction cookie is cleared on the way back.
    expect(back.cookies.find((c) => Object.keys(flow.cookies).includes(c.name))?.value).toBe('');
    expect(await actResult(actId)).toMatchObject({ status: 'authorized' });

    const replay = await ledger.app.inject({ method: 'GET', url: flow.callbackPath, cookies: flow.cookies });
    refusedAsPage(replay, 409);
    expect(replay.body).toContain('data-problem="sign-in-used"');
    expect(await eventTypes(actId)).toEqual(['ActRegistered', 'AuthenticationRequested', 'AuthenticationCompleted', 'ActAuthorized']);
  });

  it('refuses a callback that this browser did not start, or whose cookie was tampered with', async () => {
    const actId = await newAct();
    const flow = await throughSimulator(actId, { action: 'authenticate', person: JANA, means: 'eid-card' });
    refusedAsPage(await ledger.app.inject({ method: 'GET', url: flow.callbackPath }), 400);

    const otherAct = await newAct();
    const otherFlow = await throughSimulator(otherAct, { action: 'authenticate', person: JANA, means: 'eid-card' });
    // Another transaction's cookie, even renamed to this state, does not open this callback.
    const [name] = Object.keys(flow.cookies);
    refusedAsPage(await ledger.app.inject({ method: 'GET', url: flow.callbackPath, cookies: { [name!]: Object.values(otherFlow.cookies)[0]! } }), 400);
    const tampered = flow.cookies[name!]!.slice(0, -4) + 'AAAA';
    refusedAsPage(await ledger.app.inject({ method: 'GET', url: flow.callbackPath, cookies: { [name!]: tampered } }), 400);
    expect(await actResult(actId)).toMatchObject({ status: 'pending' });
    // The real one still works afterwards.
    expect((await ledger.app.inject({ method: 'GET', url: flow.callbackPath, cookies: flow.cookies })).statusCode).toBe(303);
    expect(await actResult(actId)).toMatchObject({ status: 'authorized' });
  });

  it('refuses a callback whose simulator result was swapped for another transaction\'s', async () => {
    const actId = await newAct();
    const flow = await throughSimulator(actId, { action: 'authenticate', person: JANA, means: 'eid-card' });
    const otherFlow = await throughSimulator(await newAct(), { action: 'authenticate', person: JANA, means: 'eid-card' });
    const mixed = new URL(flow.callbackPath, 'http://x');
    mixed.searchParams.set('result', new URL(otherFlow.callbackPath, 'http://x').searchParams.get('result')!);
    const back = await ledger.app.inject({ method: 'GET', url: `${mixed.pathname}${mixed.search}`, cookies: flow.cookies });
    expect(back.statusCode).toBe(303);
    // Not an authentication of this transaction: the act is not authorized.
    expect(await actResult(actId)).toMatchObject({ status: 'failed' });
  });

  it('refuses a callback after the authentication timeout and leaves the act pending', async () => {
    const actId = await newAct();
    const flow = await throughSimulator(actId, { action: 'authenticate', person: JANA, means: 'eid-card' });
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 16 * 60_000);
    refusedAsPage(await ledger.app.inject({ method: 'GET', url: flow.callbackPath, cookies: flow.cookies }), 400);
    vi.useRealTimers();
    expect(await actResult(actId)).toMatchObject({ status: 'pending' });
  });

  it('refuses to start for an act that is no longer pending (409 page)', async () => {
    const actId = await newAct();
    const flow = await throughSimulator(actId, { action: 'cancel' });
    expect((await ledger.app.inject({ method: 'GET', url: flow.callbackPath, cookies: flow.cookies })).statusCode).toBe(303);
    expect(await actResult(actId)).toMatchObject({ status: 'failed', failure: { reason: 'cancelled' } });
    const res = await authorize(actId, RETURN);
    refusedAsPage(res, 409);
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('lets only the newest of two started authentications of an act complete', async () => {
    const actId = await newAct();
    const first = await throughSimulator(actId, { action: 'authenticate', person: JANA, means: 'eid-card' });
    const second = await throughSimulator(actId, { action: 'authenticate', person: JANA, means: 'eid-card' });
    const stale = await ledger.app.inject({ method: 'GET', url: first.callbackPath, cookies: first.cookies });
    refusedAsPage(stale, 409);
    expect(await actResult(actId)).toMatchObject({ status: 'pending' });
    expect((await ledger.app.inject({ method: 'GET', url: second.callbackPath, cookies: second.cookies })).statusCode).toBe(303);
    expect(await actResult(actId)).toMatchObject({ status: 'authorized' });
  });

  it('refuses to start while the act\'s e-service is suspended (403 page)', async () => {
    const suspended = await registerProvider(ledger, { returnUrls: [RETURN] });
    const suspendedToken = await actAsToken(ledger, suspended);
    const sepp = await seppOf(ledger, JANA, suspended.providerId);
    const created = await ledger.app.inject({
      method: 'POST',
      url: '/api/v1/acts',
      headers: { authorization: `Bearer ${suspendedToken}` },
      payload: { sepp, documentHash: randomBytes(32).toString('hex'), name: 'Permit' },
    });
    const { actId } = created.json() as { actId: string };
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    expect((await ledger.app.inject({ method: 'PUT', url: `/api/v1/admin/providers/${suspended.providerId}/suspension`, headers: admin, payload: {} })).statusCode).toBe(200);
    refusedAsPage(await authorize(actId, RETURN), 403);
    expect(await eventTypes(actId)).toEqual(['ActRegistered']);
  });

  it('the simulator page refuses a forged request', async () => {
    const res = await ledger.app.inject({ method: 'GET', url: '/simulator/identity?request=eyJhbGciOiJub25lIn0.e30.' });
    expect(res.statusCode).toBe(400);
    expect(res.body).not.toContain('name="person"');
  });
});

describe('GET /authorize/{actId} under load from one address', () => {
  it('answers 429 as an HTML page once one address has started too many authorizations in a minute', async () => {
    const ledger = await testLedger();
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 121; i++) statuses.push((await ledger.app.inject({ method: 'GET', url: `/authorize/${randomUUID()}?redirect_uri=${encodeURIComponent(RETURN)}&state=s` })).statusCode);
      expect(statuses.slice(0, 120).every((s) => s === 404)).toBe(true);
      const limited = await ledger.app.inject({ method: 'GET', url: `/authorize/${randomUUID()}?redirect_uri=${encodeURIComponent(RETURN)}&state=s` });
      expect(limited.statusCode).toBe(429);
      expect(limited.headers['content-type']).toMatch(/^text\/html/);
      expect(limited.headers.location).toBeUndefined();
    } finally {
      await ledger.close();
    }
  });
});
