import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Ledger } from '../../src/composition/ledger.ts';
import { ADMIN_TOKEN, testLedger } from '../support/ledger.ts';
import { freePort } from '../support/server.ts';
import { projectionsCaughtUp, providerSession } from '../support/act-flows.ts';
import { chromiumPath, requireChromium } from '../support/requirements.ts';

const JANA = 'test-person-jana';
const PETR = 'test-person-petr';

/**
 * A person sees, in the portal, the attempts to authorize acts in their name that failed (here one
 * where someone else signed in, one where wrong codes were typed), with the e-service and the reason,
 * reports one as "this was not me", and reads the answer; admins see the report.
 */
describe.skipIf(!requireChromium('the portal\'s failed attempts in Chromium'))('failed attempts in the portal, in headless Chromium', () => {
  let ledger: Ledger;
  let url: string;
  let browser: Browser;
  let impersonated: string;
  let mistyped: string;

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
    // Registered in Jana's name; Petr signs in at the identity node to authorize it: an identity mismatch.
    impersonated = await tax.register(JANA, 'jana: impersonated', 'Žádost o vrácení přeplatku', 'Na účet 123456789/0100');
    await authorizeBySigningIn(impersonated, PETR);
    mistyped = await tax.register(JANA, 'jana: mistyped', 'Daňové přiznání 2025');
    await tax.exhaustAttempts(mistyped);
    await projectionsCaughtUp(ledger);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await ledger?.close();
  });

  async function signInAtNode(page: Page, aifo: string): Promise<void> {
    await page.locator(`input[name=person][value="${aifo}"]`).check();
    await page.locator('input[name=means][value="bank-identity"]').check();
    await page.locator('button[name=action][value=authenticate]').click();
  }

  async function authorizeBySigningIn(actId: string, aifo: string): Promise<void> {
    const { state } = await ledger.services.acts.load(actId);
    const returnUrl = (await ledger.services.providers.get(state.providerId)).returnUrls[0]!;
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${url}/authorize/${actId}?${new URLSearchParams({ redirect_uri: returnUrl, state: 'failed-attempts' })}`);
    await signInAtNode(page, aifo);
    await page.waitForURL((u) => u.href.startsWith(returnUrl)).catch(() => undefined);
    await context.close();
    const act = await ledger.services.acts.get(state.providerId, actId);
    if (act.failure?.reason !== 'identity-mismatch') throw new Error(`act ${actId} is ${act.status} (${act.failure?.reason})`);
  }

  async function signedIn(aifo: string, lang: 'cs' | 'en'): Promise<Page> {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${url}/portal?lang=${lang}`);
    await page.locator('#sign-in').click();
    await signInAtNode(page, aifo);
    await page.waitForURL(`${url}/portal?lang=${lang}`);
    return page;
  }

  const attempt = (page: Page, actId: string) => page.locator(`#failed-attempts li.attempt[data-act-id="${actId}"]`);

  it('lists the failed attempts in the person\'s name with the e-service and the reason; reporting one answers on the page', async () => {
    const page = await signedIn(JANA, 'en');
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    expect(await page.locator('#failed-attempts h2').innerText()).toBe('Failed attempts in your name');
    expect(await page.locator('#failed-attempts li.attempt').evaluateAll((items) => items.map((i) => i.getAttribute('data-act-id')))).toEqual([mistyped, impersonated]);

    const target = attempt(page, impersonated);
    expect(await target.locator('h3').innerText()).toBe('Žádost o vrácení přeplatku');
    const text = await target.innerText();
    expect(text).toContain('Finanční úřad – daňový portál');
    expect(text).toContain('Someone other than the person the act was registered for signed in.');
    expect(await attempt(page, mistyped).innerText()).toContain('The code was entered wrongly too many times.');
    // Nothing of the act's description or document travels to this list.
    expect(text).not.toContain('123456789');

    await target.getByRole('button', { name: 'This was not me' }).click();
    await page.waitForURL(`${url}/portal?lang=en#attempt-${impersonated}`);
    const answer = attempt(page, impersonated).locator('.reported');
    expect(await answer.innerText()).toMatch(/^Thank you, reported on .+ CES?T\. The national point's operator will look into it\.$/);
    expect(await attempt(page, impersonated).locator('button').count()).toBe(0);
    // The other attempt can still be reported.
    expect(await attempt(page, mistyped).getByRole('button', { name: 'This was not me' }).count()).toBe(1);
    expect(errors).toEqual([]);

    // Admins see the report beside the failed authorization.
    const listed = await fetch(`${url}/api/v1/admin/failed-authorizations?disputed=true`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    const { failedAuthorizations } = (await listed.json()) as { failedAuthorizations: Array<{ actId: string; reason: string; reportedAt: string }> };
    expect(failedAuthorizations).toEqual([expect.objectContaining({ actId: impersonated, reason: 'identity-mismatch', reportedAt: expect.any(String) })]);
    await page.context().close();
  });

  it('in Czech: the reason and the answer in Czech; another person sees none of it', async () => {
    const page = await signedIn(JANA, 'cs');
    expect(await page.locator('#failed-attempts h2').innerText()).toBe('Neúspěšné pokusy o autorizaci na vaše jméno');
    expect(await attempt(page, impersonated).locator('.reported').innerText()).toMatch(/^Děkujeme, nahlášeno .+ SE(L)?Č\. Operátor Národního bodu to prověří\.$/);
    await attempt(page, mistyped).getByRole('button', { name: 'To jsem nebyl(a) já' }).click();
    await page.waitForURL(`${url}/portal?lang=cs#attempt-${mistyped}`);
    expect(await attempt(page, mistyped).locator('.reported').innerText()).toContain('Děkujeme, nahlášeno');
    await page.context().close();

    const petr = await signedIn(PETR, 'en');
    expect(await petr.locator('#no-failed-attempts').innerText()).toBe('No failed attempt to authorize an act in your name is kept.');
    await petr.context().close();
  });
});
