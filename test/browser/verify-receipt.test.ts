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
const RECEIPTS = '/api/v1/public/receipts/verifications';

describe.skipIf(!requireChromium('the verify page\'s receipt check in Chromium'))('the receipt check of /verify in headless Chromium', () => {
  let ledger: Ledger;
  let proxy: Awaited<ReturnType<typeof recordingProxy>>;
  let browser: Browser;
  let dir: string;
  let receipt: Record<string, string>;
  const contexts: BrowserContext[] = [];
  const marker = `MARKER-${randomBytes(8).toString('hex')}`;
  const document = Buffer.concat([Buffer.from(`%PDF-1.7 ${marker}\n`), randomBytes(256 * 1024)]);
  const documentHash = createHash('sha256').update(document).digest('hex');
  const file = (name: string, content: string | Buffer) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verify-receipt-'));
    ledger = await testLedger();
    const provider = await providerSession(ledger, 'Stavební úřad Brno');
    const actId = await provider.register(JANA, document, 'Žádost o stavební povolení', 'Rodinný dům, parcela 1234/5');
    await provider.authorizeByCode(actId, JANA);
    await projectionsCaughtUp(ledger);
    await ledger.services.transparencyLog.checkpointNow();
    const act = (await ledger.app.inject({ method: 'GET', url: `/api/v1/acts/${actId}`, headers: { authorization: `Bearer ${provider.token}` } })).json() as Record<string, unknown>;
    receipt = act.receipt as Record<string, string>;
    expect(receipt.status).toBe('issued');
    file('act.json', JSON.stringify(act, null, 2));
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
  });

  async function open(lang?: 'cs' | 'en'): Promise<{ page: Page; errors: string[] }> {
    // A browser set to Czech; without `?lang` the page follows its Accept-Language.
    const context = await browser.newContext({ locale: 'cs-CZ' });
    contexts.push(context);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${proxy.url}/verify${lang ? `?lang=${lang}` : ''}`);
    return { page, errors };
  }

  async function submit(page: Page, button = 'Check receipt'): Promise<string> {
    await page.getByRole('button', { name: button, exact: true }).click();
    await page.locator('#receipt-result h2').waitFor();
    return page.locator('#receipt-result h2').innerText();
  }
  const checkValue = (page: Page, name: string) => page.locator(`#receipt-result [data-check=${name}]`).getAttribute('data-value');

  it('a pasted receipt and its file: genuine, in the log, matches the file, with what the receipt says', async () => {
    const { page, errors } = await open('en');
    const before = proxy.requests.length;
    await page.getByLabel('Receipt (JSON)').fill(JSON.stringify(receipt));
    await page.getByLabel('The file the receipt is for (optional)').setInputFiles(file('permit.pdf', document));
    expect(await submit(page)).toBe('✔ The receipt is genuine');
    expect([await checkValue(page, 'genuine'), await checkValue(page, 'in-log'), await checkValue(page, 'matches-document')]).toEqual(['true', 'true', 'true']);
    const text = await page.locator('#receipt-result').innerText();
    expect(text).toContain('Stavební úřad Brno');
    expect(text).toContain('a code by SMS');
    expect(text).toContain(documentHash);
    expect(await page.evaluate('document.activeElement?.id')).toBe('receipt-result');
    expect(errors).toEqual([]);

    // Only the receipt and the file's hash went to the ledger, never the file.
    const posts = proxy.requests.slice(before).filter((r) => r.method === 'POST');
    expect(posts.map((p) => p.url)).toEqual([RECEIPTS]);
    expect(JSON.parse(posts[0]!.body.toString())).toEqual({ receipt, documentHash });
    expect(Buffer.concat(proxy.requests.map((r) => r.body)).toString('latin1')).not.toContain(marker);
  });

  it('a receipt file (the act as the provider read it), without a document: the file is not checked', async () => {
    const { page } = await open('en');
    await page.getByLabel('Receipt file (optional)').setInputFiles(join(dir, 'act.json'));
    expect(await submit(page)).toBe('✔ The receipt is genuine');
    expect(await checkValue(page, 'matches-document')).toBe('null');
    expect(await page.locator('#receipt-result [data-check=matches-document]').innerText()).toBe('not checked (no file chosen)');
  });

  it('another file, a changed proof, and text that is no receipt do not pass, and say why', async () => {
    const { page } = await open('en');
    await page.getByLabel('Receipt (JSON)').fill(JSON.stringify(receipt));
    await page.getByLabel('The file the receipt is for (optional)').setInputFiles(file('other.pdf', 'another file'));
    expect(await submit(page)).toBe('✘ The receipt does not hold');
    expect(await checkValue(page, 'matches-document')).toBe('false');
    expect(await page.locator('#receipt-result [data-problem]').allInnerTexts()).toEqual(['The receipt is for a different file.']);

    const lines = receipt.proof!.split('\n');
    const hash = Buffer.from(lines[2]!, 'base64');
    hash[0] = hash[0]! ^ 0x01;
    const tampered = { ...receipt, proof: [...lines.slice(0, 2), hash.toString('base64'), ...lines.slice(3)].join('\n') };
    await page.getByLabel('The file the receipt is for (optional)').setInputFiles([]);
    await page.getByLabel('Receipt (JSON)').fill(JSON.stringify(tampered));
    expect(await submit(page)).toBe('✘ The receipt does not hold');
    expect([await checkValue(page, 'genuine'), await checkValue(page, 'in-log')]).toEqual(['true', 'false']);
    expect(await page.locator('#receipt-result [data-problem]').getAttribute('data-problem')).toBe('inclusion-not-proven');

    await page.getByLabel('Receipt (JSON)').fill('{ not json');
    await submit(page);
    expect(await page.locator('#receipt-result').innerText()).toContain('the text is not valid JSON');
    await page.getByLabel('Receipt (JSON)').fill('{"status":"issued"}');
    await submit(page);
    expect(await page.locator('#receipt-result').innerText()).toContain('This is not an authorization receipt.');
  });

  it('speaks Czech by default', async () => {
    const { page, errors } = await open();
    expect(await page.locator('#receipt-title').innerText()).toBe('Ověření potvrzení o autorizaci');
    await page.getByLabel('Potvrzení (JSON)').fill(JSON.stringify(receipt));
    expect(await submit(page, 'Ověřit potvrzení')).toBe('✔ Potvrzení je pravé');
    expect(await page.locator('#receipt-result').innerText()).toContain('kód z SMS');
    expect(errors).toEqual([]);
  });
});
