import { createServer, type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { OIDC_SECTOR, OidcIdentityProvider } from '../../src/adapters/identity/oidc.ts';
import { IdentityProviderUnavailable, type AuthenticationRequest } from '../../src/ports/identity-provider.ts';
import type { Ledger } from '../../src/composition/ledger.ts';
import { ACR, startOpenIdProvider, type TestOpenIdProvider } from '../support/openid-provider.ts';
import { HttpBrowser } from '../support/http-browser.ts';
import { testLedger } from '../support/ledger.ts';
import { freePort } from '../support/server.ts';

const request: AuthenticationRequest = { gateway: 'national', loa: null, forceAuth: true, callbackUrl: 'http://127.0.0.1:9/cb', state: 's', nonce: 'n' };

/** An OP that is up but failing: every discovery request is counted and answered 503. */
async function failingOp(): Promise<{ issuer: string; requests: () => number; close: () => Promise<void> }> {
  let requests = 0;
  const server: Server = createServer((req, res) => {
    if (req.url?.startsWith('/.well-known/openid-configuration')) requests++;
    res.writeHead(503, { 'content-type': 'text/plain' }).end('down for maintenance');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    issuer: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
    requests: () => requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('OIDC discovery on first use, retried with a back-off', () => {
  const closing: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of closing.splice(0)) await close();
  });

  it('a failing OP meets one discovery request per back-off, not one per sign-in', async () => {
    const op = await failingOp();
    closing.push(op.close);
    let now = Date.parse('2030-01-01T00:00:00Z');
    const idp = new OidcIdentityProvider({ issuer: op.issuer, clientId: 'ledger', clientSecret: 'secret', acrValues: ACR, discoveryRetry: { initialMs: 1000, maxMs: 8000 }, now: () => now });
    expect(op.requests(), 'constructing the adapter contacts nobody').toBe(0);

    // Ten sign-ins at once share the one attempt; ten more right after fail at once, within the back-off.
    const first = await Promise.allSettled(Array.from({ length: 10 }, () => idp.begin(request)));
    const second = await Promise.allSettled(Array.from({ length: 10 }, () => idp.begin(request)));
    for (const outcome of [...first, ...second]) {
      expect(outcome.status).toBe('rejected');
      expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(IdentityProviderUnavailable);
    }
    expect(op.requests()).toBe(1);
    expect(String((second[0] as PromiseRejectedResult).reason.message)).toMatch(/next attempt in \d+ s/);

    const status = await idp.discoveryStatus();
    expect(status).toMatchObject({ ok: false, kind: 'oidc', issuer: op.issuer, failures: 1 });
    expect((status as { reason: string }).reason).toMatch(/503/);
    expect(op.requests(), 'a readiness probe within the back-off asks nothing either').toBe(1);

    // Past the back-off (at most the first delay), the next use tries again; the delay doubles.
    now += 1000;
    await expect(idp.begin(request)).rejects.toBeInstanceOf(IdentityProviderUnavailable);
    expect(op.requests()).toBe(2);
    // The second delay is at least 1 s (half its 2 s ceiling, by the jitter), at most 2 s.
    now += 999;
    await expect(idp.begin(request)).rejects.toBeInstanceOf(IdentityProviderUnavailable);
    expect(op.requests(), 'the second delay is longer than the first').toBe(2);
    now += 1001;
    await idp.discoveryStatus();
    expect(op.requests(), 'a readiness probe past the back-off tries again').toBe(3);
    expect(await idp.discoveryStatus()).toMatchObject({ ok: false, failures: 3 });
  });
});

describe('a ledger whose OpenID Provider is down at start', () => {
  let ledger: Ledger | undefined;
  let op: TestOpenIdProvider | undefined;
  afterAll(async () => {
    await ledger?.close();
    await op?.close();
  });

  it('starts, says it is not ready for identityProvider, and signs citizens in once the OP is up', async () => {
    const [ledgerPort, opPort] = [await freePort(), await freePort()];
    const ledgerUrl = `http://127.0.0.1:${ledgerPort}`;
    const clientSecret = randomBytes(24).toString('base64url');
    // Nothing listens on opPort yet.
    ledger = await testLedger({
      LEDGER_PUBLIC_URL: ledgerUrl,
      LEDGER_IDENTITY_PROVIDER: 'oidc',
      OIDC_ISSUER: `http://127.0.0.1:${opPort}`,
      OIDC_CLIENT_ID: 'act-ledger',
      OIDC_CLIENT_SECRET: clientSecret,
    });
    await ledger.app.listen({ port: ledgerPort, host: '127.0.0.1' });
    await ledger.services.citizens.remember(OIDC_SECTOR, 'op-jana', 'test-person-jana');

    // The projections may still be starting on a loaded machine: wait for them, then read what the OP's absence does.
    let down = await fetch(`${ledgerUrl}/readyz`);
    for (const until = Date.now() + 20_000; down.status !== 200 && Date.now() < until; down = await fetch(`${ledgerUrl}/readyz`)) {
      await down.body?.cancel();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(down.status).toBe(200);
    const downBody = (await down.json()) as { status: string; checks: Record<string, { ok: boolean; reason?: string }> };
    expect(downBody.status).toBe('degraded');
    expect(downBody.checks.identityProvider).toMatchObject({ ok: false, kind: 'oidc' });
    expect(downBody.checks.identityProvider!.reason).toMatch(/ECONNREFUSED|fetch failed/);
    expect(downBody.checks.eventStore, 'the rest of the ledger is up').toMatchObject({ ok: true });

    // A sign-in while the OP is down is a page saying so, not a crash.
    const early = await new HttpBrowser().get(`${ledgerUrl}/portal/login`);
    expect(early.status).toBe(503);

    op = await startOpenIdProvider({ redirectUri: `${ledgerUrl}/portal/callback`, port: opPort, clientSecret });
    // The ledger tries again once its back-off has passed (a second or two after a single failure).
    const browser = new HttpBrowser();
    let loginPage: URL | undefined;
    const deadline = Date.now() + 20_000;
    while (!loginPage && Date.now() < deadline) {
      const { url, response } = await browser.follow(`${ledgerUrl}/portal/login`, (u) => u.pathname.startsWith('/interaction/'));
      if (url.pathname.startsWith('/interaction/')) loginPage = url;
      else {
        expect(response?.status).toBe(503);
        await response?.body?.cancel();
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
    expect(loginPage, 'the OP was discovered after it came up').toBeDefined();
    const { response } = await browser.follow(loginPage!.href);
    const action = new URL(/action="([^"]+\/login)"/.exec(await response!.text())![1]!, loginPage);
    const posted = await browser.postForm(action.href, { login: 'op-jana', acr: ACR.high, authenticatedSecondsAgo: '0' });
    const back = await browser.follow(new URL(posted.headers.get('location')!, action).href, (u) => u.origin === ledgerUrl && u.pathname === '/portal');
    expect(back.url.pathname).toBe('/portal');
    const log = await browser.get(`${ledgerUrl}/api/v1/citizen/log`);
    expect(log.status, 'signed in to the portal').toBe(200);

    const up = await fetch(`${ledgerUrl}/readyz`);
    expect(up.status).toBe(200);
    const upBody = (await up.json()) as { status: string; checks: Record<string, unknown> };
    expect(upBody.status).toBe('ready');
    expect(upBody.checks.identityProvider).toEqual({ ok: true, kind: 'oidc', issuer: `http://127.0.0.1:${opPort}`, partial: true });
  });
});
