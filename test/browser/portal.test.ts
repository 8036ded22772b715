import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Ledger } from '../../src/composition/ledger.ts';
import { testLedger } from '../support/ledger.ts';
import { freePort } from '../support/server.ts';
import { projectionsCaughtUp, providerSession } from '../support/act-flows.ts';
import { chromiumPath, requireChromium } from '../support/requirements.ts';

const JANA = 'test-person-jana';
const PETR = 'test-person-petr';
const MARIE = 'test-person-marie';

describe.skipIf(!requireChromium('the citizen portal in Chromium'))('the citizen portal in headless Chromium (simulated identity node)', () => {
  let ledger: Ledger;
  let url: string;
  let browser: Browser;
  /** Act ids each person authorized, in the order they were authorized. */
  const authorizedBy: Record<string, string[]> = { [JANA]: [], [PETR]: [] };
  let janasFailedAct: string;
  let janasPendingAct: string;

  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    ledger = await testLedger({ PORT: String(port), LEDGER_PUBLIC_URL: url });
    await ledger.app.listen({ host: '127.0.0.1', port });
    browser = await chromium.launch({
      executablePath: chromiumPath()!,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });

    const tax = await providerSession(ledger, 'Finanční úřad – daňový portál');
    const building = await providerSession(ledger, 'Stavební úřad Brno');
    const first = await tax.register(JANA, 'jana: tax return', 'Daňové přiznání 2025', 'Přiznání k dani z příjmů');
    await tax.authorizeByCode(first, JANA, 'sms');
    authorizedBy[JANA]!.push(first);
    // Petr has no verified phone: he authorizes by signing in again, in the browser, at the simulated identity node.
    const petrs = await building.register(PETR, 'petr: permit', 'Žádost o stavební povolení', 'Garáž');
    await authorizeBySigningIn(petrs, PETR);
    authorizedBy[PETR]!.push(petrs);
    const second = await building.register(JANA, 'jana: permit', 'Ohlášení stavby', 'Pergola na zahradě');
    await building.authorizeByCode(second, JANA, 'mobile-key');
    authorizedBy[JANA]!.push(second);
    janasFailedAct = await tax.register(JANA, 'jana: failed', 'Žádost, která neprošla');
    await tax.exhaustAttempts(janasFailedAct);
    janasPendingAct = await tax.register(JANA, 'jana: pending', 'Žádost čekající na autorizaci');
    await projectionsCaughtUp(ledger);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await ledger?.close();
  });

  async function authorizeBySigningIn(actId: string, aifo: string): Promise<void> {
    const provider = ledger.services.providers;
    const { state } = await ledger.services.acts.load(actId);
    const returnUrl = (await provider.get(state.providerId)).returnUrls[0]!;
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${url}/authorize/${actId}?${new URLSearchParams({ redirect_uri: returnUrl, state: 'portal-test' })}`, { waitUntil: 'domcontentloaded' });
    await signInAtSimulator(page, aifo);
    // The e-service's return URL is not served here; leaving the ledger is enough.
    await page.waitForURL((u) => u.href.startsWith(returnUrl)).catch(() => undefined);
    await context.close();
    const act = await ledger.services.acts.get(state.providerId, actId);
    if (act.status !== 'authorized') throw new Error(`act ${actId} is ${act.status}`);
  }

  async function signInAtSimulator(page: Page, aifo: string): Promise<void> {
    await page.locator(`input[name=person][value="${aifo}"]`).check();
    await page.locator('input[name=means][value="bank-identity"]').check();
    await page.locator('button[name=action][value=authenticate]').click();
  }

  /** Signs `aifo` in to the portal in a fresh browser context, and answers the page showing their log. */
  async function signedIn(aifo: string, lang = 'en'): Promise<Page> {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${url}/portal?lang=${lang}`);
    await page.locator('#sign-in').click();
    // The node answers in the language chosen on the portal.
    expect(await page.locator('main').innerText()).toContain(lang === 'en' ? 'Sign in to the national point\'s citizen portal.' : 'Přihlaste se do portálu občana Národního bodu.');
    await signInAtSimulator(page, aifo);
    await page.waitForURL(`${url}/portal?lang=${lang}`);
    return page;
  }

  const shownActIds = (page: Page) => page.locator('li.entry').evaluateAll((items) => items.map((i) => i.getAttribute('data-act-id')));

  it('shows a person exactly their own authorized acts, newest first, with the details of each', async () => {
    const page = await signedIn(JANA);
    expect(await shownActIds(page)).toEqual([...authorizedBy[JANA]!].reverse());
    const newest = page.locator('li.entry').first();
    expect(await newest.locator('h3').innerText()).toBe('Ohlášení stavby');
    const text = await newest.innerText();
    for (const detail of ['Stavební úřad Brno', 'Pergola na zahradě', 'a code in the Mobile Key', 'Authorization of a digital act']) expect(text).toContain(detail);
    const body = await page.locator('main').innerText();
    expect(body).not.toContain('Garáž');
    expect(body).not.toContain('čekající');
    // The failed act is no authorized act: it is listed among the failed attempts only.
    expect(await page.locator('#acts').innerText()).not.toContain('neprošla');
    expect(await page.locator('#failed-attempts').innerText()).toContain('neprošla');
    expect(authorizedBy[JANA]).not.toContain(janasFailedAct);
    expect(authorizedBy[JANA]).not.toContain(janasPendingAct);
    await page.context().close();
  });

  it('shows another person only theirs, and a person with none an empty log', async () => {
    const petr = await signedIn(PETR);
    expect(await shownActIds(petr)).toEqual(authorizedBy[PETR]);
    expect(await petr.locator('li.entry h3').innerText()).toBe('Žádost o stavební povolení');
    expect(await petr.locator('li.entry').innerText()).toContain('signing in again');
    await petr.context().close();
    const marie = await signedIn(MARIE, 'cs');
    expect(await marie.locator('#no-entries').innerText()).toBe('Zatím nemáte žádný záznam o autorizaci digitálního úkonu.');
    await marie.context().close();
  });

  it('answers the same log as JSON to the signed-in browser, and 401 without a session', async () => {
    const page = await signedIn(JANA);
    const res = await page.request.get(`${url}/api/v1/citizen/log`);
    expect(res.status()).toBe(200);
    const { entries } = (await res.json()) as { entries: Array<Record<string, unknown>> };
    expect(entries.map((e) => e.actId)).toEqual(await shownActIds(page));
    expect(entries[0]).toMatchObject({ logType: 'digital-act-authorization', providerName: 'Stavební úřad Brno', actName: 'Ohlášení stavby', method: 'mobile-key' });
    expect(JSON.stringify(entries)).not.toContain(JANA);

    const anonymous = await fetch(`${url}/api/v1/citizen/log`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toMatch(/^application\/problem\+json/);

    // The session is an HttpOnly, SameSite=Lax cookie that lapses by itself, holding nothing readable.
    const [session] = (await page.context().cookies()).filter((c) => c.name === 'ledger_portal');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    expect(session!.expires * 1000 - Date.now()).toBeLessThanOrEqual(ledger.services.config.portalSessionTtlMs);
    expect(session!.value).not.toContain(JANA);
    expect(session!.value.split('.').map((part) => Buffer.from(part, 'base64url').toString('latin1')).join('|')).not.toContain(JANA);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.locator('#sign-in').waitFor();
    expect((await page.request.get(`${url}/api/v1/citizen/log`)).status()).toBe(401);
    // Signing out ends the session on the ledger too: a copy of the cookie taken before is refused.
    const copied = await fetch(`${url}/api/v1/citizen/log`, { headers: { cookie: `${session!.name}=${session!.value}` } });
    expect(copied.status).toBe(401);
    await page.context().close();
  });
});
