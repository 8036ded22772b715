import { createHash, randomUUID } from 'node:crypto';
import { HttpBrowser } from './http-browser.ts';
import { codeInText, deliveredMessageFrom, settledDelivery, type DeliveredCodeView } from './delivery.ts';
import type { SmsGatewayStandIn } from './standins.ts';
import { ACR } from './openid-provider.ts';

/**
 * The scripted conformance set over HTTP against a ledger process, as a provider's e-service and its
 * citizen would run it: an act registered and authorized by code, a wrong code then the right one,
 * an authorization by authentication, a cancelled authentication read back, results read. Where
 * codes arrive and who authenticates the citizen differ by environment: the simulator's phone and
 * identity node, or an SMS gateway and an OpenID Provider (the `CodeReader` and `Authenticator` below).
 */

/** The code sent for `codeId` of act `actId` (answered as `codeSha256`), read where it arrived. */
export type CodeReader = (issued: { actId: string; codeId: string; codeSha256: string }) => Promise<string>;

/**
 * From the ledger's authorization URL (the provider's redirect, already with redirect_uri and state)
 * through the identity provider and back to the provider's return URL: the citizen signs in, or cancels.
 */
export type Authenticator = (browser: HttpBrowser, authorizationUrl: string, choice: 'authenticate' | 'cancel') => Promise<URL>;

export interface ConformanceRun {
  /** Where the ledger listens. */
  ledgerUrl: string;
  /** The provider's ActAs token. */
  token: string;
  /** The citizen's SePP as the provider knows them. */
  sepp: string;
  /** One of the provider's return URLs. */
  returnUrl: string;
  readCode: CodeReader;
  authenticate: Authenticator;
}

export interface ProviderApi {
  call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Record<string, any>>;
}

/** The provider API with its token: any answer from 300 up throws, naming it. */
export function providerApi(ledgerUrl: string, token: string): ProviderApi {
  return {
    async call(method, path, body) {
      const res = await fetch(`${ledgerUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
      return JSON.parse(text) as Record<string, any>;
    },
  };
}

const hashOf = (algorithm: 'sha256' | 'sha512', actId: string, code: string) => createHash(algorithm).update(`${actId}:${code}`).digest('hex');

/** Runs the whole set; answers the act ids it made, by what each was for. */
export async function runConformance(run: ConformanceRun): Promise<Record<'byCode' | 'wrongFirst' | 'byAuthentication' | 'cancelled', string>> {
  const api = providerApi(run.ledgerUrl, run.token);
  const register = async (name: string) => {
    const act = await api.call('POST', '/api/v1/acts', { sepp: run.sepp, documentHash: hashOf('sha256', 'conformance', randomUUID()), name, description: 'conformance' });
    return { actId: String(act.actId), authorizationUrl: String(act.authorizationUrl) };
  };
  const sendCode = async (actId: string) => {
    const issued = await api.call('POST', `/api/v1/acts/${actId}/codes`, { channel: 'sms' });
    const codeId = String(issued.codeId);
    const delivery = await settledDelivery(async () => (await api.call('GET', `/api/v1/acts/${actId}`)) as { codes: DeliveredCodeView[] }, codeId, 30_000);
    if (delivery.delivery !== 'sent') throw new Error(`code ${codeId} not sent: ${JSON.stringify(delivery)}`);
    return { codeId, code: await run.readCode({ actId, codeId, codeSha256: String(issued.codeSha256) }) };
  };
  const verify = (actId: string, codeId: string, codeSha512: string) => api.call('POST', `/api/v1/acts/${actId}/codes/${codeId}/verifications`, { codeSha512 });
  const throughIdentityProvider = async (act: { authorizationUrl: string }, choice: 'authenticate' | 'cancel') => {
    const url = `${act.authorizationUrl}?${new URLSearchParams({ redirect_uri: run.returnUrl, state: `conformance-${choice}` })}`;
    const back = await run.authenticate(new HttpBrowser(), url, choice);
    if (!back.href.startsWith(run.returnUrl)) throw new Error(`the authentication did not come back to the provider: ${back.href}`);
  };

  const byCode = await register('Conformance: code flow');
  const first = await sendCode(byCode.actId);
  const authorized = await verify(byCode.actId, first.codeId, hashOf('sha512', byCode.actId, first.code));
  if (authorized.result !== 'authorized') throw new Error(`code flow not authorized: ${JSON.stringify(authorized)}`);

  const wrongFirst = await register('Conformance: wrong code first');
  const second = await sendCode(wrongFirst.actId);
  const mismatch = await verify(wrongFirst.actId, second.codeId, 'f'.repeat(128));
  if (mismatch.result !== 'mismatch') throw new Error(`a wrong code was not answered as a mismatch: ${JSON.stringify(mismatch)}`);
  const right = await verify(wrongFirst.actId, second.codeId, hashOf('sha512', wrongFirst.actId, second.code));
  if (right.result !== 'authorized') throw new Error(`the right code after a wrong one was not authorized: ${JSON.stringify(right)}`);

  const byAuthentication = await register('Conformance: by authentication');
  await throughIdentityProvider(byAuthentication, 'authenticate');
  const cancelled = await register('Conformance: cancelled');
  await throughIdentityProvider(cancelled, 'cancel');

  // Reading the results back: what the checklist's last two items wait for.
  const results = { byCode: byCode.actId, wrongFirst: wrongFirst.actId, byAuthentication: byAuthentication.actId, cancelled: cancelled.actId };
  const expected = { byCode: 'authorized', wrongFirst: 'authorized', byAuthentication: 'authorized', cancelled: 'failed' } as const;
  for (const [what, actId] of Object.entries(results) as Array<[keyof typeof results, string]>) {
    const act = await api.call('GET', `/api/v1/acts/${actId}`);
    if (act.status !== expected[what]) throw new Error(`act ${what} is ${String(act.status)}, not ${expected[what]}: ${JSON.stringify(act)}`);
  }
  return results;
}

/** Codes on the simulator's phones, read through GET /api/v1/simulator/outbox with the admin token. */
export function simulatorPhone(ledgerUrl: string, adminToken: string, aifo: string): CodeReader {
  const messages = async () => {
    const res = await fetch(`${ledgerUrl}/api/v1/simulator/outbox?aifo=${encodeURIComponent(aifo)}`, { headers: { authorization: `Bearer ${adminToken}` } });
    if (res.status !== 200) throw new Error(`outbox: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { messages: Array<{ code: string }> }).messages;
  };
  return async ({ actId, codeSha256 }) => (await deliveredMessageFrom(messages, actId, codeSha256)).code;
}

/** The simulated identity node's page: the tester picks `aifo` with an eID card, or cancels. */
export function simulatedIdentityNode(aifo: string, means = 'eid-card'): Authenticator {
  return async (browser, authorizationUrl, choice) => {
    const started = await browser.get(authorizationUrl);
    await started.body?.cancel();
    if (started.status !== 303) throw new Error(`authorize: ${started.status}`);
    const node = new URL(started.headers.get('location')!, authorizationUrl);
    const form: Record<string, string> = choice === 'authenticate' ? { action: 'authenticate', person: aifo, means } : { action: 'cancel' };
    const answered = await browser.postForm(new URL(node.pathname, node).href, { request: node.searchParams.get('request')!, ...form });
    await answered.body?.cancel();
    if (answered.status !== 303) throw new Error(`identity node: ${answered.status}`);
    return stopAtProvider(browser, new URL(answered.headers.get('location')!, node).href, authorizationUrl);
  };
}

/**
 * An OpenID Provider's login page (test/support/openid-provider.ts): the citizen signs in as `login`
 * with a fresh authentication at LoA high, or presses Cancel.
 */
export function openIdProviderLogin(issuer: string, login: string): Authenticator {
  return async (browser, authorizationUrl, choice) => {
    const { url, response } = await browser.follow(authorizationUrl, (u) => u.origin === issuer && u.pathname.startsWith('/interaction/'));
    if (response) throw new Error(`the ledger did not send the citizen to the OpenID Provider: ${response.status} at ${url.href}`);
    const page = await browser.get(url.href);
    const html = await page.text();
    const action = choice === 'authenticate' ? /action="([^"]+\/login)"/.exec(html) : /action="([^"]+\/cancel)"/.exec(html);
    if (!action) throw new Error(`no ${choice} form on the OpenID Provider's page: ${html.slice(0, 200)}`);
    const fields: Record<string, string> = choice === 'authenticate' ? { login, password: 'secret', acr: ACR.high, authenticatedSecondsAgo: '0' } : {};
    const posted = await browser.postForm(new URL(action[1]!, url).href, fields);
    await posted.body?.cancel();
    if (posted.status !== 303) throw new Error(`OpenID Provider ${choice}: ${posted.status}`);
    return stopAtProvider(browser, new URL(posted.headers.get('location')!, url).href, authorizationUrl);
  };
}

/** Follows redirects until the provider's return URL (the redirect_uri of `authorizationUrl`). */
async function stopAtProvider(browser: HttpBrowser, from: string, authorizationUrl: string): Promise<URL> {
  const returnUrl = new URL(authorizationUrl).searchParams.get('redirect_uri')!;
  const { url, response } = await browser.follow(from, (u) => u.href.startsWith(returnUrl));
  if (response) throw new Error(`did not come back to the provider: ${response.status} at ${url.href} ${(await response.text()).slice(0, 300)}`);
  return url;
}

/** Codes an SMS gateway stand-in received for the code (its idempotency key), as `Kód: <digits>` (or `Code:`) in the text. */
export function smsGatewayCodes(sms: SmsGatewayStandIn): CodeReader {
  return async ({ codeId }) => {
    const { requests } = await sms.received();
    const request = requests.find((r) => r.idempotencyKey === codeId && typeof r.answered === 'number' && r.answered < 300);
    const code = request?.body ? codeInText(String(request.body.text)) : undefined;
    if (!code) throw new Error(`the SMS gateway received no code for ${codeId}`);
    return code;
  };
}
