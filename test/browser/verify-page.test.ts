import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { Ledger } from '../../src/composition/ledger.ts';
import { testLedger } from '../support/ledger.ts';
import { projectionsCaughtUp, providerSession } from '../support/act-flows.ts';
import { recordingProxy } from '../support/recording-proxy.ts';
import { chromiumPath, requireChromium } from '../support/requirements.ts';

const JANA = 'test-person-jana';
const VERIFICATIONS = '/api/v1/public/verifications';

/** A file of a few MB (many chunks for the streaming hash), with a marker that must never reach the server. */
function documentFile(dir: string, name: string): { path: string; bytes: Buffer; marker: string; hash: string } {
  const marker = `MARKER-${name}-${randomBytes(8).toString('hex')}`;
  const bytes = Buffer.concat([Buffer.from(`%PDF-1.7 ${marker}\n`), randomBytes(3 * 1024 * 1024), Buffer.from(`\n${marker} %%EOF\n`)]);
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return { path, bytes, marker, hash: createHash('sha256').update(bytes).digest('hex') };
}

describe.skipIf(!requireChromium('the verify page in Chromium'))('the /verify page in headless Chromium', () => {
  let ledger: Ledger;
  let proxy: Awaited<ReturnType<typeof recordingProxy>>;
  let browser: Browser;
  let dir: string;
  let authorized: ReturnType<typeof documentFile>;
  let failed: ReturnType<typeof documentFile>;
  let never: ReturnType<typeof documentFile>;
  const captchaTimes: number[] = [];
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verify-page-'));
    [authorized, failed, never] = ['permit.pdf', 'tax-return.pdf', 'never.pdf'].map((n) => documentFile(dir, n)) as [typeof authorized, typeof failed, typeof never];
    ledger = await testLedger();
    const provider = await providerSession(ledger, 'Stavební úřad Brno');
    const actId = await provider.register(JANA, authorized.bytes, 'Žádost o stavební povolení', 'Rodinný dům, parcela 1234/5');
    await provider.authorizeByCode(actId, JANA);
    await provider.exhaustAttempts(await provider.register(JANA, failed.bytes, 'Daňové přiznání 2025', 'Za rok 2025'));
    await projectionsCaughtUp(ledger);
    proxy = await recordingProxy(await ledger.app.listen({ host: '127.0.0.1', port: 0 }));
    browser = await chromium.launch({
      executablePath: chromiumPath()!,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  }, 60_000);
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await proxy?.close();
    await ledger?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    const took = proxy?.requests.filter((r) => r.contentType?.startsWith('application/json')).map((r) => (JSON.parse(Buffer.from((JSON.parse(r.body.toString()) as { altcha: string }).altcha, 'base64').toString()) as { took: number }).took);
    if (captchaTimes.length) console.log(`page ready with a solved captcha after ${captchaTimes.map((t) => `${t} ms`).join(', ')}; solving took ${took?.map((t) => `${t} ms`).join(', ')} (maxnumber ${ledger.services.config.captcha.maxNumber})`);
  });

  /** Opens the page in a fresh context; collects console errors (a CSP violation shows there). */
  async function open(lang?: 'cs' | 'en', options: Parameters<Browser['newContext']>[0] = {}): Promise<{ page: Page; errors: string[] }> {
    const context = await browser.newContext(options);
    contexts.push(context);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
    page.on('pageerror', (error) => errors.push(error.message));
    const started = Date.now();
    const response = await page.goto(`${proxy.url}/verify${lang ? `?lang=${lang}` : ''}`);
    expect(response?.headers()['content-security-policy']).toMatch(/script-src 'self'(;|$)/);
    await page.locator('#captcha[data-state=ready]').waitFor({ timeout: 10_000 });
    captchaTimes.push(Date.now() - started);
    return { page, errors };
  }

  async function verify(page: Page, file: string, label: string, button: string): Promise<void> {
    await page.getByLabel(label).setInputFiles(file);
    await page.getByRole('button', { name: button, exact: true }).click();
    await page.locator('#result h2').waitFor();
  }

  it('shows an authorized file as authorized, with the act\'s name, description, provider and time', async () => {
    const { page, errors } = await open('en');
    await verify(page, authorized.path, 'File to verify', 'Verify');
    const result = page.locator('#result');
    expect(await result.locator('h2').innerText()).toBe('✔ Authorized');
    const text = await result.innerText();
    expect(text).toContain('Žádost o stavební povolení');
    expect(text).toContain('Rodinný dům, parcela 1234/5');
    expect(text).toContain('Stavební úřad Brno');
    expect(text).toContain('a code by SMS');
    expect(await result.locator('time').getAttribute('datetime')).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(await result.locator('.fingerprint code').innerText()).toBe(authorized.hash);
    // The verdict is announced and takes the focus, for screen readers and keyboards.
    expect(await page.evaluate('document.activeElement?.id')).toBe('result');
    expect(await result.getAttribute('aria-live')).toBe('polite');
    expect(errors).toEqual([]);
  });

  it('shows a file never registered as not authorized', async () => {
    const { page } = await open('en');
    await verify(page, never.path, 'File to verify', 'Verify');
    expect(await page.locator('#result h2').innerText()).toBe('✘ Not authorized');
    expect(await page.locator('#result .fingerprint code').innerText()).toBe(never.hash);
  });

  it('shows a file whose act failed as not authorized', async () => {
    const { page } = await open('en');
    await verify(page, failed.path, 'File to verify', 'Verify');
    expect(await page.locator('#result h2').innerText()).toBe('✘ Not authorized');
    expect(await page.locator('#result').innerText()).not.toContain('Daňové přiznání');
  });

  it('speaks Czech by default, works on a phone-sized screen, and switches to English', async () => {
    // A browser that asks for Czech, or for no language the page offers, gets Czech.
    const { page } = await open(undefined, { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, locale: 'de-DE' });
    expect(await page.locator('html').getAttribute('lang')).toBe('cs');
    expect(await page.locator('h1').innerText()).toBe('Ověření digitálního úkonu');
    expect(await page.locator('#privacy').innerText()).toContain('odešle pouze tento otisk');
    await verify(page, authorized.path, 'Soubor k ověření', 'Ověřit');
    expect(await page.locator('#result h2').innerText()).toBe('✔ Autorizováno');
    expect(await page.locator('#result').innerText()).toContain('kód z SMS');
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(360);
    await page.getByRole('link', { name: 'English' }).click();
    expect(await page.locator('h1').innerText()).toBe('Verify a digital act');
  });

  it('never sent a file\'s bytes to the server: only its hash, as JSON', async () => {
    const posts = proxy.requests.filter((r) => r.method === 'POST');
    expect(posts.length).toBeGreaterThanOrEqual(4);
    for (const post of posts) {
      expect(post.url).toBe(VERIFICATIONS);
      expect(post.contentType).toMatch(/^application\/json/);
      expect(Object.keys(JSON.parse(post.body.toString()) as object).sort()).toEqual(['altcha', 'documentHash']);
    }
    const everything = Buffer.concat(proxy.requests.map((r) => r.body)).toString('latin1');
    for (const file of [authorized, failed, never]) expect(everything).not.toContain(file.marker);
    const sentHashes = posts.map((p) => (JSON.parse(p.body.toString()) as { documentHash: string }).documentHash);
    expect(new Set(sentHashes)).toEqual(new Set([authorized.hash, failed.hash, never.hash]));
  });

  it('uploads the file instead, and says so, when the browser cannot hash it', async () => {
    const context = await browser.newContext();
    contexts.push(context);
    // A browser that can read a file neither as a stream nor in slices.
    await context.addInitScript(`
      Object.defineProperty(Blob.prototype, 'stream', { value: undefined });
      Object.defineProperty(window, 'FileReader', { value: undefined });
    `);
    const page = await context.newPage();
    await page.goto(`${proxy.url}/verify?lang=en`);
    await page.locator('#captcha[data-state=ready]').waitFor();
    const before = proxy.requests.length;
    await page.getByLabel('File to verify').setInputFiles(authorized.path);
    const announced = page.locator('#status', { hasText: 'the file is being sent to the national point' });
    await page.getByRole('button', { name: 'Verify', exact: true }).click();
    await announced.waitFor();
    await page.locator('#result h2').waitFor();
    expect(await page.locator('#result h2').innerText()).toBe('✔ Authorized');
    const upload = proxy.requests.slice(before).find((r) => r.method === 'POST')!;
    expect(upload.contentType).toMatch(/^multipart\/form-data/);
    expect(upload.body.toString('latin1')).toContain(authorized.marker);
  });
});
