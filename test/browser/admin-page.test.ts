import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import type { Ledger } from '../../src/composition/ledger.ts';
import { namedAdminToken } from '../support/admins.ts';
import { TestCertificates } from '../support/certificates.ts';
import { certificateInstant, DAY_MS, ledgerWithClock, MovingClock, OnboardingAdmin } from '../support/onboarding.ts';
import { freePort } from '../support/server.ts';
import { chromiumPath, requireChromium } from '../support/requirements.ts';

/** A provider name that would run a script if any page put it into HTML as markup. */
const HOSTILE_NAME = '<img src=x onerror="document.title=\'injected\'">Hostile & Co';

describe.skipIf(!requireChromium('the admin page in Chromium'))('the /admin page in headless Chromium', () => {
  const clock = new MovingClock();
  let ledger: Ledger;
  let url: string;
  let browser: Browser;
  let certificates: TestCertificates;
  let token: string;
  let hostile: string;
  let soon: string;
  let later: string;
  /** The undecided applications, in the order they were filed. */
  const filed: string[] = [];
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    ledger = await ledgerWithClock(clock, { PORT: String(port), LEDGER_PUBLIC_URL: url });
    await ledger.app.listen({ host: '127.0.0.1', port });
    certificates = new TestCertificates();
    token = (await namedAdminToken(ledger, ['onboarding', 'providers'])).token;
    const admin = new OnboardingAdmin(ledger, token);

    // Admitted now: its simulator support (21 days) and one certificate run out soon once the clock moves on.
    const start = clock.now().getTime();
    hostile = await admin.admitted(HOSTILE_NAME);
    soon = await admin.certificate(hostile, certificates.dated('soon', certificateInstant(start - DAY_MS), certificateInstant(start + 20 * DAY_MS)));
    later = await admin.certificate(hostile, certificates.dated('later', certificateInstant(start - DAY_MS), certificateInstant(start + 60 * DAY_MS)), 'transport');
    for (const name of ['Filed First', 'Filed Second', 'Filed Third']) filed.push((await admin.file(await admin.provider(name))).applicationId);
    clock.advanceDays(16);

    browser = await chromium.launch({
      executablePath: chromiumPath()!,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  }, 60_000);
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    certificates?.remove();
    await ledger?.close();
  });

  /** Opens /admin in a fresh context; collects console errors (a CSP violation shows there) and every URL requested. */
  async function open(): Promise<{ page: Page; errors: string[]; requests: string[]; authorized: string[] }> {
    const context = await browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    const authorized: string[] = [];
    page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('request', (request) => {
      requests.push(request.url());
      if (request.headers()['authorization'] === `Bearer ${token}`) authorized.push(new URL(request.url()).pathname);
    });
    const response = await page.goto(`${url}/admin?lang=en`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toMatch(/script-src 'self'(;|$)/);
    expect(response?.headers()['content-security-policy']).toContain("default-src 'none'");
    return { page, errors, requests, authorized };
  }

  async function enterToken(page: Page, value: string): Promise<void> {
    await page.getByLabel('Admin access token').fill(value);
    await page.getByRole('button', { name: 'Open', exact: true }).click();
  }

  it('asks for the token once, then shows the queue in filing order, running-out support and an expiring certificate', async () => {
    const { page, errors, requests, authorized } = await open();
    await page.getByLabel('Admin access token').waitFor();
    expect(await page.locator('#status').innerText()).toBe('Enter your access token.');
    await enterToken(page, token);
    await page.locator('#overview').waitFor();
    await page.locator('#queue tbody tr').first().waitFor();

    const queue = await page.locator('#queue tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-application-id')));
    expect(queue.filter((id) => filed.includes(id!))).toEqual(filed);
    expect(await page.locator(`#queue tr[data-application-id="${filed[0]}"]`).innerText()).toContain('waiting');

    const certificateRows = page.locator('#certificates tbody tr');
    expect(await certificateRows.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-certificate-id')))).toEqual([soon]);
    expect(await page.locator(`#certificates tr[data-certificate-id="${later}"]`).count()).toBe(0);
    const certificateRow = page.locator(`#certificates tr[data-certificate-id="${soon}"]`);
    expect(await certificateRow.innerText()).toContain('4 days left');
    expect(await page.locator(`#support tr[data-provider-id="${hostile}"]`).innerText()).toContain('5 days left');

    // The hostile name is text everywhere: no element was made of it, and no handler ran.
    expect(await certificateRow.locator('button').innerText()).toBe(HOSTILE_NAME);
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.title()).not.toBe('injected');

    // The token went only into the Authorization header, and stays in this tab's sessionStorage.
    expect(authorized).toEqual(expect.arrayContaining(['/api/v1/admin/applications', '/api/v1/admin/onboarding/attention']));
    expect(requests.some((r) => r.includes(token) || r.includes(encodeURIComponent(token)))).toBe(false);
    expect(page.url()).toBe(`${url}/admin?lang=en`);
    expect(await page.evaluate("sessionStorage.getItem('ledger-admin-token')")).toBe(token);
    expect(errors).toEqual([]);
  });

  it("shows a provider's timeline, its name as text", async () => {
    const { page, errors } = await open();
    await enterToken(page, token);
    await page.locator(`#certificates tr[data-certificate-id="${soon}"] button`).click();
    await page.locator('#timeline h3').waitFor();
    expect(await page.locator('#timeline h3').innerText()).toBe(HOSTILE_NAME);
    const types = await page.locator('#timeline li').evaluateAll((items) => items.map((i) => i.getAttribute('data-type')));
    expect(types).toEqual(['ProviderRegistered', 'EnvironmentAccessGranted', 'ApplicationFiled', 'ApplicationApproved', 'EnvironmentAccessGranted', 'CertificateRegistered', 'CertificateRegistered']);
    expect(await page.locator('#timeline li').first().innerText()).toContain(HOSTILE_NAME);
    expect(await page.locator('img').count()).toBe(0);

    // Another provider, by its id.
    const other = (await ledger.services.onboarding.applications('undecided')).find((a) => a.applicationId === filed[1])!.providerId;
    await page.getByLabel('Provider id').fill(other);
    await page.getByRole('button', { name: 'Show timeline' }).click();
    await page.locator('#timeline h3', { hasText: 'Filed Second' }).waitFor();
    expect(await page.locator('#timeline li').evaluateAll((items) => items.map((i) => i.getAttribute('data-type')))).toEqual(['ProviderRegistered', 'EnvironmentAccessGranted', 'ApplicationFiled']);
    expect(errors).toEqual([]);
  });

  it('asks for the token again when the API refuses it', async () => {
    const { page } = await open();
    await enterToken(page, token);
    await page.locator('#overview').waitFor();
    // An admin token the API no longer accepts (as once its five minutes have passed): here, its signature spoilt.
    const spoilt = `${token.slice(0, -4)}${token.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
    await page.evaluate(`sessionStorage.setItem('ledger-admin-token', ${JSON.stringify(spoilt)})`);
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.getByLabel('Admin access token').waitFor();
    expect(await page.locator('#overview').isHidden()).toBe(true);
    expect(await page.locator('#status').innerText()).toBe('The token has expired or was not accepted. Please enter a new one.');
    expect(await page.evaluate("sessionStorage.getItem('ledger-admin-token')")).toBeNull();

    await enterToken(page, token);
    await page.locator('#overview').waitFor();
    expect(await page.locator(`#certificates tr[data-certificate-id="${soon}"]`).count()).toBe(1);
  });

  it('asks for another token when the one given grants no admin access or lacks the onboarding role', async () => {
    const { page } = await open();
    await enterToken(page, 'not-an-admin-token');
    await page.locator('#status', { hasText: 'does not grant admin access' }).waitFor();
    expect(await page.locator('#overview').isHidden()).toBe(true);

    const registrar = (await namedAdminToken(ledger, ['registry'])).token;
    await enterToken(page, registrar);
    await page.locator('#status', { hasText: 'This admin does not hold the onboarding role.' }).waitFor();
    expect(await page.locator('#overview').isHidden()).toBe(true);
    expect(await page.evaluate("sessionStorage.getItem('ledger-admin-token')")).toBeNull();
  });

  it('speaks Czech by default, and English to a browser that prefers it', async () => {
    for (const [locale, lang, label] of [['cs-CZ', 'cs', 'Přístupový token administrátora'], ['de-DE', 'cs', 'Přístupový token administrátora'], ['en-GB', 'en', 'Admin access token']] as const) {
      const context = await browser.newContext({ locale });
      contexts.push(context);
      const page = await context.newPage();
      await page.goto(`${url}/admin`);
      expect(await page.locator('html').getAttribute('lang'), locale).toBe(lang);
      await page.getByLabel(label).waitFor();
    }
  });

  it('gets the citizen pages\' care: the frame, both languages at desktop and phone width, no serious axe finding', async () => {
    for (const lang of ['cs', 'en'] as const) {
      for (const viewport of [{ width: 1280, height: 800 }, { width: 390, height: 844 }]) {
        const context = await browser.newContext({ viewport });
        contexts.push(context);
        const page = await context.newPage();
        const errors: string[] = [];
        page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
        await page.goto(`${url}/admin?lang=${lang}`);
        await page.locator('#token').fill(token);
        await page.locator('#token-form button[type=submit]').click();
        await page.locator('#queue tbody tr').first().waitFor();
        const at = `${lang} ${viewport.width}px`;
        expect(await page.locator('header.site .brand').count(), at).toBe(1);
        expect(await page.locator('footer.site a').count(), at).toBeGreaterThan(2);
        if (viewport.width < 500) expect(await page.evaluate('document.documentElement.scrollWidth'), `${at}: no sideways scrolling`).toBeLessThanOrEqual(viewport.width);
        const { violations } = await new AxeBuilder({ page }).analyze();
        expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), at).toEqual([]);
        expect(errors, at).toEqual([]);
      }
    }
  }, 120_000);
});
