import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ledger } from '../../src/composition/ledger.ts';
import { OIDC_SECTOR } from '../../src/adapters/identity/oidc.ts';
import { actAsToken, registerProvider, seppOf, testLedger, type ProviderIdentity } from '../support/ledger.ts';
import { freePort } from '../support/server.ts';
import { ACR, startOpenIdProvider, type TestOpenIdProvider } from '../support/openid-provider.ts';
import { HttpBrowser } from '../support/http-browser.ts';

const JANA = 'test-person-jana';
const PETR = 'test-person-petr';
const RETURN = 'https://provider.example/return';

/**
 * The OIDC identity provider against a real OpenID Provider (oidc-provider, in this process), with
 * the ledger listening on a real port and a cookie-keeping HTTP client in the citizen's place.
 */
describe('authorization by authentication through an OpenID Provider', () => {
  let op: TestOpenIdProvider;
  let ledger: Ledger;
  let ledgerUrl: string;
  let provider: ProviderIdentity;
  let token: string;

  beforeAll(async () => {
    const port = await freePort();
    ledgerUrl = `http://127.0.0.1:${port}`;
    op = await startOpenIdProvider({ redirectUri: `${ledgerUrl}/authorize/callback` });
    ledger = await testLedger({
      LEDGER_PUBLIC_URL: ledgerUrl,
      LEDGER_IDENTITY_PROVIDER: 'oidc',
      OIDC_ISSUER: op.issuer,
      OIDC_CLIENT_ID: op.clientId,
      OIDC_CLIENT_SECRET: op.clientSecret,
    });
    await ledger.app.listen({ port, host: '127.0.0.1' });
    // The OP's subjects, known to the national point in its 'oidc' sector.
    await ledger.services.citizens.remember(OIDC_SECTOR, 'op-jana', JANA);
    await ledger.services.citizens.remember(OIDC_SECTOR, 'op-petr', PETR);
    provider = await registerProvider(ledger, { returnUrls: [RETURN] });
    token = await actAsToken(ledger, provider);
  });
  afterAll(async () => {
    await ledger?.close();
    await op?.close();
  });

  const newAct = async (aifo: string, loa?: 'low' | 'substantial' | 'high') => {
    const res = await ledger.app.inject({
      method: 'POST',
      url: '/api/v1/acts',
      headers: { authorization: `Bearer ${token}` },
      payload: { sepp: await seppOf(ledger, aifo, provider.providerId), documentHash: randomBytes(32).toString('hex'), name: 'Change of address', ...(loa ? { loa } : {}) },
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { actId: string; authorizationUrl: string };
  };
  const actResult = async (actId: string) =>
    (await ledger.app.inject({ method: 'GET', url: `/api/v1/acts/${actId}`, headers: { authorization: `Bearer ${token}` } })).json() as Record<string, unknown>;

  const atOp = (url: URL) => url.origin === op.issuer;
  const backAtProvider = (url: URL) => url.href.startsWith(RETURN);

  /** From the provider's redirect to the OP's authorization endpoint (not yet requested). */
  const startAt = async (browser: HttpBrowser, act: { authorizationUrl: string }, state = 'provider-state') => {
    const { url } = await browser.follow(`${act.authorizationUrl}?${new URLSearchParams({ redirect_uri: RETURN, state })}`, atOp);
    return url;
  };

  /** From the OP's authorization endpoint to its login page; answers the form's action. */
  const toLoginPage = async (browser: HttpBrowser, authorizationRequest: URL) => {
    const { url, response } = await browser.follow(authorizationRequest.href);
    expect(url.pathname, 'the OP asks the citizen to sign in').toMatch(/^\/interaction\//);
    const html = await response!.text();
    expect(html).toContain('Sign in (login)');
    return new URL(/action="([^"]+)"/.exec(html)![1]!, url);
  };

  /** Signs in at the OP and follows everything back to the e-service. */
  const signIn = async (browser: HttpBrowser, loginAction: URL, login: string, fields: Record<string, string> = {}) => {
    const posted = await browser.postForm(loginAction.href, { login, password: 'secret', acr: ACR.high, authenticatedSecondsAgo: '0', ...fields });
    expect(posted.status).toBe(303);
    return (await browser.follow(new URL(posted.headers.get('location')!, loginAction).href, backAtProvider)).url;
  };

  it('asks the OP for a fresh login with PKCE, openid only and no claims, and authorizes the matching person', async () => {
    const act = await newAct(JANA);
    const browser = new HttpBrowser();
    const request = await startAt(browser, act, 'state-success');
    const q = request.searchParams;
    expect(Object.fromEntries([...q].filter(([k]) => !['state', 'nonce', 'code_challenge'].includes(k)))).toEqual({
      client_id: op.clientId,
      response_type: 'code',
      scope: 'openid',
      redirect_uri: `${ledgerUrl}/authorize/callback`,
      code_challenge_method: 'S256',
      prompt: 'login',
      max_age: '0',
    });
    expect(q.get('code_challenge')).toMatch(/^[\w-]{43}$/);

    const back = await signIn(browser, await toLoginPage(browser, request), 'op-jana');
    expect(Object.fromEntries(back.searchParams)).toEqual({ act_id: act.actId, state: 'state-success' });
    expect(await actResult(act.actId)).toMatchObject({ status: 'authorized', method: 'authentication' });
  });

  it('fails the act as identity-mismatch when another person signs in at the OP', async () => {
    const act = await newAct(JANA);
    const browser = new HttpBrowser();
    const back = await signIn(browser, await toLoginPage(browser, await startAt(browser, act)), 'op-petr');
    expect(back.searchParams.get('act_id')).toBe(act.actId);
    expect(await actResult(act.actId)).toMatchObject({ status: 'failed', failure: { reason: 'identity-mismatch' } });

    const unknown = await newAct(JANA);
    const other = new HttpBrowser();
    await signIn(other, await toLoginPage(other, await startAt(other, unknown)), 'op-someone-unknown');
    expect(await actResult(unknown.actId)).toMatchObject({ status: 'failed', failure: { reason: 'identity-mismatch' } });
  });

  it('asks for the LoA through acr_values and fails the act as loa-too-low when the OP reports a weaker acr', async () => {
    const act = await newAct(JANA, 'substantial');
    const browser = new HttpBrowser();
    const request = await startAt(browser, act);
    expect(request.searchParams.get('acr_values')).toBe(`${ACR.substantial} ${ACR.high}`);
    await signIn(browser, await toLoginPage(browser, request), 'op-jana', { acr: ACR.low });
    expect(await actResult(act.actId)).toMatchObject({ status: 'failed', failure: { reason: 'loa-too-low' } });

    const strong = await newAct(JANA, 'substantial');
    await signIn(browser, await toLoginPage(browser, await startAt(browser, strong)), 'op-jana', { acr: ACR.high });
    expect(await actResult(strong.actId)).toMatchObject({ status: 'authorized' });
  });

  it('ForceAuth: a session at the OP still meets a login prompt, and an authentication from that session is refused', async () => {
    const browser = new HttpBrowser();
    // The citizen signed in at the OP two minutes ago (for something else): the OP holds a session.
    const earlier = await newAct(JANA);
    await signIn(browser, await toLoginPage(browser, await startAt(browser, earlier)), 'op-jana', { authenticatedSecondsAgo: '120' });

    const act = await newAct(JANA);
    const request = await startAt(browser, act, 'state-force');
    const prompts = op.interactions.length;
    await toLoginPage(browser, request);
    expect(op.interactions.length).toBe(prompts + 1);
    expect(op.interactions.at(-1)!.session?.accountId, 'the OP had a session for this browser').toBe('op-jana');
    expect(op.interactions.at(-1)!.prompt).toMatchObject({ name: 'login' });

    // The same request without prompt=login and max_age=0 is answered from the session, no login page:
    // what an OP that ignored ForceAuth would send back.
    const lax = new URL(request);
    lax.searchParams.delete('prompt');
    lax.searchParams.delete('max_age');
    const { url: callback } = await browser.follow(lax.href, (url) => url.pathname === '/authorize/callback');
    expect(callback.searchParams.get('code')).toBeTruthy();
    expect(op.interactions.length).toBe(prompts + 1);

    // The ledger sees auth_time from two minutes before the transaction began and does not authorize.
    const { url: back } = await browser.follow(callback.href, backAtProvider);
    expect(back.searchParams.get('act_id')).toBe(act.actId);
    const result = await actResult(act.actId);
    expect(result).toMatchObject({ status: 'failed', failure: { reason: 'authentication-failed' } });
    expect(result).not.toHaveProperty('authorizedAt');
  });

  // 20 s is inside openid-client's own max_age tolerance (30 s): only the ledger's own check catches it.
  for (const secondsAgo of [20, 600]) {
    it(`ForceAuth: an OP that shows the login prompt but reports an authentication ${secondsAgo} s old is refused`, async () => {
      const act = await newAct(JANA);
      const browser = new HttpBrowser();
      const back = await signIn(browser, await toLoginPage(browser, await startAt(browser, act)), 'op-jana', { authenticatedSecondsAgo: String(secondsAgo) });
      expect(back.searchParams.get('act_id')).toBe(act.actId);
      expect(await actResult(act.actId)).toMatchObject({ status: 'failed', failure: { reason: 'authentication-failed' } });
    });
  }
});
