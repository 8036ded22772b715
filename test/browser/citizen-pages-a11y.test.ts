import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import type { Ledger } from '../../src/composition/ledger.ts';
import { testLedger } from '../support/ledger.ts';
import { freePort } from '../support/server.ts';
import { projectionsCaughtUp, providerSession } from '../support/act-flows.ts';
import { chromiumPath, requireChromium } from '../support/requirements.ts';

const JANA = 'test-person-jana';
const LANGS = ['cs', 'en'] as const;
const WIDTHS = {
  desktop: { viewport: { width: 1280, height: 800 } },
  phone: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true },
} satisfies Record<string, BrowserContextOptions>;
type Lang = (typeof LANGS)[number];

/** A citizen page in a given state: opens it (the context's Accept-Language picks the language) and says what status it answers. */
interface CitizenPage {
  name: string;
  status: number;
  open: (page: Page, lang: Lang) => Promise<void>;
}

/**
 * Every citizen page, in Czech and English, at desktop and phone widths, in real Chromium: no console
 * errors (a CSP violation shows there), every form control labelled, a visible focus on everything
 * the keyboard reaches, no horizontal scrolling on a phone, and no serious or critical axe finding.
 */
describe.skipIf(!requireChromium('the citizen pages\' accessibility in Chromium'))('every citizen page is accessible, in both languages, at both widths', () => {
  let ledger: Ledger;
  let url: string;
  let browser: Browser;
  let dir: string;
  let authorizedFile: string;
  let returnUrl: string;
  const pendingActs: string[] = [];

  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    ledger = await testLedger({ PORT: String(port), LEDGER_PUBLIC_URL: url });
    await ledger.app.listen({ host: '127.0.0.1', port });
    dir = mkdtempSync(join(tmpdir(), 'citizen-pages-'));
    authorizedFile = join(dir, 'permit.pdf');
    writeFileSync(authorizedFile, 'a building permit application');
    const provider = await providerSession(ledger, 'Stavební úřad Brno');
    const actId = await provider.register(JANA, 'a building permit application', 'Žádost o stavební povolení', 'Rodinný dům, parcela 1234/5');
    await provider.authorizeByCode(actId, JANA);
    // One pending act per visit of the identity node page: each visit starts its authorization.
    for (let i = 0; i < LANGS.length * Object.keys(WIDTHS).length; i++) pendingActs.push(await provider.register(JANA, `pending ${i}`, 'Ohlášení stavby', 'Pergola na zahradě'));
    // The signed-in portal lists failed attempts in Jana's name: one still to report, one reported.
    for (const name of ['Přiznání k dani', 'Žádost o výpis']) {
      const failed = await provider.register(JANA, `failed: ${name}`, name);
      await provider.exhaustAttempts(failed);
      if (name === 'Žádost o výpis') await ledger.services.failedAttempts.report(JANA, failed);
    }
    returnUrl = (await ledger.services.providers.get(provider.provider.providerId)).returnUrls[0]!;
    await projectionsCaughtUp(ledger);
    browser = await chromium.launch({
      executablePath: chromiumPath()!,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await ledger?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const signInAtNode = async (page: Page) => {
    await page.locator(`input[name=person][value="${JANA}"]`).check();
    await page.locator('input[name=means][value="bank-identity"]').check();
    await page.locator('button[name=action][value=authenticate]').click();
  };

  const pages: CitizenPage[] = [
    {
      name: 'verify',
      status: 200,
      open: async (page) => {
        await page.goto(`${url}/verify`);
        await page.locator('#captcha[data-state=ready]').waitFor({ timeout: 15_000 });
      },
    },
    {
      name: 'verify, no file chosen',
      status: 200,
      open: async (page, lang) => {
        await page.goto(`${url}/verify`);
        await page.locator('#captcha[data-state=ready]').waitFor({ timeout: 15_000 });
        await page.locator('#submit').click();
        // An error, announced and styled as one, tied to its field: not a grey status line.
        const error = page.locator('#file-error');
        expect(await error.getAttribute('role')).toBe('alert');
        expect(await error.innerText()).toContain(lang === 'cs' ? 'Nejprve vyberte soubor.' : 'Choose a file first.');
        expect(await error.evaluate((e) => e.ownerDocument.defaultView!.getComputedStyle(e).color)).toBe('rgb(164, 22, 26)');
        expect(await page.locator('#file').getAttribute('aria-invalid')).toBe('true');
        expect(await page.locator('#file').getAttribute('aria-describedby')).toContain('file-error');
      },
    },
    {
      name: 'verify, a verdict',
      status: 200,
      open: async (page, lang) => {
        await page.goto(`${url}/verify`);
        await page.locator('#captcha[data-state=ready]').waitFor({ timeout: 15_000 });
        await page.locator('#file').setInputFiles(authorizedFile);
        await page.locator('#submit').click();
        await page.locator('#result h2').waitFor();
        expect(await page.locator('#result time').innerText()).toMatch(lang === 'cs' ? / SE(L)?Č$/ : / CES?T$/);
      },
    },
    { name: 'portal, signed out', status: 200, open: async (page) => void (await page.goto(`${url}/portal`)) },
    {
      name: 'identity node, authorizing an act',
      status: 200,
      open: async (page) => {
        const actId = pendingActs.pop()!;
        await page.goto(`${url}/authorize/${actId}?${new URLSearchParams({ redirect_uri: returnUrl, state: 'a11y' })}`);
        expect(await page.locator('#purpose-act').innerText()).toBe('Ohlášení stavby');
        expect(await page.locator('#purpose-e-service').innerText()).toBe('Stavební úřad Brno');
      },
    },
    {
      name: 'portal, signed in',
      status: 200,
      open: async (page, lang) => {
        await page.goto(`${url}/portal`);
        await page.locator('#sign-in').click();
        await signInAtNode(page);
        await page.locator('#entries').waitFor();
        expect(await page.locator('#failed-attempts form.report').count()).toBe(1);
        expect(await page.locator('#failed-attempts .reported').count()).toBe(1);
        expect(await page.locator('#session-ends time').innerText()).toMatch(lang === 'cs' ? / SE(L)?Č$/ : / CES?T$/);
      },
    },
    { name: 'portal, sign-in not started here', status: 400, open: async (page) => void (await page.goto(`${url}/portal/callback?state=unknown`)) },
    {
      name: 'error page: unknown act',
      status: 404,
      open: async (page) => {
        await page.goto(`${url}/authorize/${randomUUID()}?${new URLSearchParams({ redirect_uri: returnUrl, state: 'a11y' })}`);
        expect(await page.locator('#support code').innerText()).toMatch(/^[0-9a-f-]{36}$/);
      },
    },
    { name: 'error page: no such page', status: 404, open: async (page) => void (await page.goto(`${url}/portal/nowhere`)) },
    { name: 'simulator', status: 200, open: async (page) => void (await page.goto(`${url}/simulator`)) },
    { name: 'simulated phone', status: 200, open: async (page) => void (await page.goto(`${url}/simulator/phone/${JANA}`)) },
    { name: 'contact', status: 200, open: async (page) => void (await page.goto(`${url}/contact`)) },
    { name: 'privacy', status: 200, open: async (page) => void (await page.goto(`${url}/privacy`)) },
    { name: 'accessibility statement', status: 200, open: async (page) => void (await page.goto(`${url}/accessibility`)) },
  ];

  /** Form controls without a label, by id or name. */
  const unlabelled = (page: Page) =>
    page.locator('input:not([type=hidden]), select, textarea, button').evaluateAll((controls) =>
      controls
        .filter((c) => {
          const labels = (c as unknown as { labels?: ArrayLike<{ textContent: string | null }> }).labels;
          const labelled = labels && Array.from(labels).some((l) => l.textContent?.trim());
          const named = labelled || c.getAttribute('aria-label')?.trim() || c.getAttribute('aria-labelledby');
          return !named && !(c.tagName === 'BUTTON' && c.textContent?.trim());
        })
        .map((c) => c.id || c.getAttribute('name') || c.outerHTML.slice(0, 80)),
    );

  /** Tabs through the page and answers the elements the keyboard reached without a visible focus indicator. */
  const focusWithoutIndicator = async (page: Page): Promise<{ reached: number; invisible: string[] }> => {
    // From the top of the page (the skip link), whatever an earlier step focused.
    await page.locator('a.skip').focus();
    const seen = new Set<string>();
    const invisible: string[] = [];
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press('Tab');
      const focused = page.locator(':focus');
      if ((await focused.count()) !== 1) break;
      const { path, visible } = await focused.evaluate((el) => {
        const style = el.ownerDocument.defaultView!.getComputedStyle(el);
        const outlined = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
        const shadowed = style.boxShadow !== 'none';
        const what = [el.getAttribute('name'), el.getAttribute('value'), el.getAttribute('href')?.slice(0, 40), el.textContent?.trim().slice(0, 30)].filter(Boolean).join(' ');
        return { path: `${el.tagName.toLowerCase()}#${el.id}[${what}]`, visible: outlined || shadowed };
      });
      if (seen.has(path)) break;
      seen.add(path);
      if (!visible) invisible.push(path);
    }
    return { reached: seen.size, invisible };
  };

  for (const lang of LANGS) {
    for (const [width, options] of Object.entries(WIDTHS)) {
      it(`${lang}, ${width}: every citizen page`, async () => {
        const context = await browser.newContext({ ...options, locale: lang === 'cs' ? 'cs-CZ' : 'en-GB' });
        try {
          const findings: string[] = [];
          for (const citizenPage of pages) {
            const page = await context.newPage();
            const errors: string[] = [];
            let status = 0;
            page.on('response', (r) => r.request().isNavigationRequest() && r.frame() === page.mainFrame() && (status = r.status()));
            page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
            page.on('pageerror', (e) => errors.push(e.message));
            await citizenPage.open(page, lang);
            await page.waitForLoadState('load');
            const at = `${citizenPage.name} (${lang}, ${width})`;
            expect(status, at).toBe(citizenPage.status);
            // An error page's own status is logged by Chromium as a failed load; anything else is a real error.
            const unexpected = citizenPage.status >= 400 ? errors.filter((e) => !e.includes(`status of ${citizenPage.status}`)) : errors;
            expect(unexpected, `${at}: console errors`).toEqual([]);
            expect(await page.locator('html').getAttribute('lang'), at).toBe(lang);
            expect(await page.locator('header.site').innerText(), at).toContain(lang === 'cs' ? 'Národní bod pro identifikaci a autentizaci' : 'National point for identification and authentication');
            expect(await page.locator('footer.site a').count(), `${at}: footer links`).toBeGreaterThanOrEqual(3);
            expect(await unlabelled(page), `${at}: unlabelled controls`).toEqual([]);
            const focus = await focusWithoutIndicator(page);
            expect(focus.reached, `${at}: the keyboard reaches the page`).toBeGreaterThan(2);
            expect(focus.invisible, `${at}: focus without a visible indicator`).toEqual([]);
            if (width === 'phone') expect(await page.evaluate('document.documentElement.scrollWidth'), `${at}: no sideways scrolling`).toBeLessThanOrEqual(390);
            const { violations } = await new AxeBuilder({ page }).analyze();
            for (const v of violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')) {
              findings.push(`${at}: ${v.id} (${v.impact}) ${v.help}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
            }
            await page.close();
          }
          expect(findings).toEqual([]);
        } finally {
          await context.close();
        }
      }, 120_000);
    }
  }

  it('switches language with one click, keeping the page, and remembers the choice', async () => {
    const context = await browser.newContext({ locale: 'cs-CZ' });
    const page = await context.newPage();
    await page.goto(`${url}/simulator/phone/${JANA}`);
    expect(await page.locator('h1').innerText()).toBe('Simulovaný telefon');
    await page.getByRole('link', { name: 'English' }).click();
    expect(new URL(page.url()).pathname).toBe(`/simulator/phone/${JANA}`);
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    expect(await page.locator('h1').innerText()).toBe('Simulated phone');
    // The next page, even an error page, keeps English without being told.
    const error = await page.goto(`${url}/authorize/${randomUUID()}?redirect_uri=x&state=y`);
    expect(error?.status()).toBe(404);
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    expect(await page.locator('h1').innerText()).toBe('Act not found');
    await context.close();
  });
});
