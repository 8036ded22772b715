import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type BrowserContextOptions } from 'playwright-core';
import type { Ledger } from '../../src/composition/ledger.ts';
import { testLedger } from '../support/ledger.ts';
import { freePort } from '../support/server.ts';
import { chromiumPath, requireChromium } from '../support/requirements.ts';

const WIDTHS = {
  desktop: { viewport: { width: 1280, height: 800 } },
  phone: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true },
} satisfies Record<string, BrowserContextOptions>;

/** /docs is where a provider's developer starts: the ledger's own, readable on a phone, and clean under its CSP. */
describe.skipIf(!requireChromium('the API documentation page in Chromium'))('/docs in Chromium', () => {
  let ledger: Ledger;
  let url: string;
  let browser: Browser;

  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    ledger = await testLedger({ PORT: String(port), LEDGER_PUBLIC_URL: url });
    await ledger.app.listen({ host: '127.0.0.1', port });
    browser = await chromium.launch({ executablePath: chromiumPath()!, args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await ledger?.close();
  });

  for (const [width, options] of Object.entries(WIDTHS)) {
    it(`at ${width} width: branded, the operations listed, no console error, no sideways scrolling`, async () => {
      const context = await browser.newContext(options);
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
      try {
        const res = await page.goto(`${url}/docs`);
        expect(res?.status()).toBe(200);
        await page.locator('.opblock').first().waitFor({ timeout: 20_000 });
        expect(await page.title()).toMatch(/act ledger/i);
        await expect.poll(() => page.locator('.topbar .ledger-brand').innerText()).toMatch(/Act ledger/);
        // Scripts from the ledger alone: the page's CSP allows no inline script and no third party.
        expect(res?.headers()['content-security-policy']).toMatch(/script-src 'self';/);
        expect(await page.locator('.opblock').count()).toBeGreaterThan(20);
        const overflow = (await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')) as number;
        expect(overflow).toBeLessThanOrEqual(0);
        expect(problems).toEqual([]);
      } finally {
        await context.close();
      }
    }, 60_000);
  }
});
