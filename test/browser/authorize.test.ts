import { createServer, type Server } from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { clientAssertion, providerKeyPair, type ProviderIdentity } from '../support/ledger.ts';
import { startServer, type RunningServer } from '../support/server.ts';
import { chromiumPath, requireChromium } from '../support/requirements.ts';

const JANA = 'test-person-jana';
const PETR = 'test-person-petr';
const HANS = 'test-person-hans';

/** A stand-in for the e-service: records every hit on its return URL. */
async function providerSite(): Promise<{ server: Server; returnUrl: string; hits: URL[] }> {
  const hits: URL[] = [];
  const server = createServer((req, res) => {
    hits.push(new URL(req.url ?? '/', 'http://provider.local'));
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><title>E-service</title><h1>Back at the e-service</h1>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { server, returnUrl: `http://127.0.0.1:${port}/return`, hits };
}

describe.skipIf(!requireChromium('authorization by authentication in Chromium'))('authorization by authentication in headless Chromium (simulator)', () => {
  let ledger: RunningServer;
  let site: Awaited<ReturnType<typeof providerSite>>;
  let browser: Browser;
  let provider: ProviderIdentity;
  let token: string;

  const api = async (method: string, path: string, body?: unknown, bearer = token) => {
    const res = await fetch(`${ledger.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${bearer}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    [ledger, site] = await Promise.all([startServer({ LOG_LEVEL: 'warn' }), providerSite()]);
    const pair = await providerKeyPair();
    const created = await api('POST', '/api/v1/admin/providers', { name: 'Browser e-service', jwks: { keys: [pair.publicJwk] }, returnUrls: [site.returnUrl] }, ledger.adminToken);
    expect(created.status).toBe(201);
    provider = { ...pair, providerId: String(created.body.providerId) };
    const res = await fetch(`${ledger.url}/api/v1/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: await clientAssertion(provider, `${ledger.url}/api/v1/token`),
      }),
    });
    token = ((await res.json()) as { access_token: string }).access_token;
    browser = await chromium.launch({
      executablePath: chromiumPath()!,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => site?.server.close(resolve));
    await ledger?.stop();
    if (ledger) rmSync(ledger.dataDir, { recursive: true, force: true });
  });

  const registerAct = async (aifo: string, loa?: 'low' | 'substantial' | 'high') => {
    const { body: seppBody } = await api('GET', `/api/v1/admin/citizens/${aifo}/sepp?providerId=${provider.providerId}`, undefined, ledger.adminToken);
    const documentHash = createHash('sha256').update(randomBytes(64)).digest('hex');
    const res = await api('POST', '/api/v1/acts', { sepp: seppBody.sepp, documentHash, name: 'Building permit application', description: 'Garage, plot 1234/5', ...(loa ? { loa } : {}) });
    expect(res.status).toBe(201);
    return res.body as { actId: string; authorizationUrl: string };
  };

  /** Opens the authorization URL in a fresh browser context, as the e-service would redirect the citizen. */
  const openAuthorization = async (act: { authorizationUrl: string }, state: string): Promise<Page> => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${act.authorizationUrl}?${new URLSearchParams({ redirect_uri: site.returnUrl, state })}`);
    return page;
  };

  /** Waits until the browser is back at the e-service, and answers the hit it recorded. */
  const backAtProvider = async (page: Page, actId: string): Promise<URL> => {
    await page.waitForURL((url) => url.href.startsWith(site.returnUrl));
    expect(await page.locator('h1').textContent()).toBe('Back at the e-service');
    await page.context().close();
    const hit = site.hits.find((h) => h.searchParams.get('act_id') === actId);
    expect(hit, 'the e-service saw the citizen come back').toBeDefined();
    return hit!;
  };

  const signIn = async (page: Page, person: string, means: string) => {
    await page.locator(`input[name=person][value="${person}"]`).check();
    await page.locator(`input[name=means][value="${means}"]`).check();
    await page.getByRole('button', { name: 'Sign in' }).click();
  };

  it('authorizes when the citizen of the act signs in again', async () => {
    const act = await registerAct(JANA);
    const page = await openAuthorization(act, 'state-success');
    expect(await page.locator('h1').textContent()).toBe('National identity node, simulated');
    // Before signing in, the citizen sees what the sign-in authorizes.
    expect(await page.locator('#purpose-act').innerText()).toBe('Building permit application');
    expect(await page.locator('#purpose-description').innerText()).toBe('Garage, plot 1234/5');
    expect(await page.locator('#purpose-e-service').innerText()).toBe('Browser e-service');
    await signIn(page, JANA, 'eid-card');
    const hit = await backAtProvider(page, act.actId);
    expect(hit.pathname).toBe('/return');
    expect(Object.fromEntries(hit.searchParams)).toEqual({ act_id: act.actId, state: 'state-success' });
    expect((await api('GET', `/api/v1/acts/${act.actId}`)).body).toMatchObject({ status: 'authorized', method: 'authentication' });
  });

  it('fails the act as identity-mismatch when a different person signs in', async () => {
    const act = await registerAct(JANA);
    const page = await openAuthorization(act, 'state-mismatch');
    await signIn(page, PETR, 'eid-card');
    const hit = await backAtProvider(page, act.actId);
    expect(hit.searchParams.get('state')).toBe('state-mismatch');
    expect((await api('GET', `/api/v1/acts/${act.actId}`)).body).toMatchObject({ status: 'failed', failure: { reason: 'identity-mismatch' } });
  });

  it('fails the act as cancelled when the citizen cancels', async () => {
    const act = await registerAct(JANA);
    const page = await openAuthorization(act, 'state-cancel');
    await page.getByRole('button', { name: 'Cancel' }).click();
    await backAtProvider(page, act.actId);
    expect((await api('GET', `/api/v1/acts/${act.actId}`)).body).toMatchObject({ status: 'failed', failure: { reason: 'cancelled' } });
  });

  it('sends a foreign person through the international gateway, which offers only foreign persons', async () => {
    const act = await registerAct(HANS, 'high');
    const page = await openAuthorization(act, 'state-foreign');
    expect(await page.locator('h1').textContent()).toBe('International gateway (eIDAS node), simulated');
    // The LoA the provider asked for is ignored for a foreign SePP.
    expect(await page.locator('main').innerText()).toContain('No LoA is required.');
    expect(await page.locator('input[name=person]').evaluateAll((inputs) => inputs.map((i) => i.getAttribute('value')))).toEqual([HANS]);
    await signIn(page, HANS, 'eidas-low');
    await backAtProvider(page, act.actId);
    expect((await api('GET', `/api/v1/acts/${act.actId}`)).body).toMatchObject({ status: 'authorized', method: 'authentication' });
  });

  it('fails the act as loa-too-low when the means is weaker than the LoA asked for', async () => {
    const act = await registerAct(JANA, 'substantial');
    const page = await openAuthorization(act, 'state-loa');
    expect(await page.locator('main').innerText()).toContain('LoA substantial or higher');
    await signIn(page, JANA, 'username-password');
    await backAtProvider(page, act.actId);
    expect((await api('GET', `/api/v1/acts/${act.actId}`)).body).toMatchObject({ status: 'failed', failure: { reason: 'loa-too-low' } });
  });
});
