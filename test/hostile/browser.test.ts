/**
 * Hostile input, surface 5: the browser routes (authorization by authentication, its callback, the
 * simulated identity node, the citizen portal). Refusals are HTML pages, never redirects; a refused
 * step writes nothing and leaves the act as it was.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  JANA,
  RETURN_URL,
  call,
  cookiePairs,
  describeAnswer,
  expectHtmlRefusal,
  expectNo5xx,
  expectProblem,
  expectServing,
  getAct,
  getWithCookie,
  logHead,
  providerWithToken,
  randomHash,
  rawExchange,
  requestHead,
  seppOf,
  simulatorChoice,
  startAuthorization,
  startHostileServer,
  stopHostileServer,
  throughSimulator,
  unhandledErrorLines,
  type Answer,
  type Provider,
  type RunningServer,
} from './support.ts';

const RETURN_WITH_QUERY = 'https://provider.example/return?lang=cs';
const OTHER_RETURN = 'https://other.example/return';

describe('hostile: browser flows', () => {
  let server: RunningServer;
  let provider: Provider;
  let other: Provider;
  let sepp: string;
  /** A pending act every refusal aims at. */
  let actId: string;

  beforeAll(async () => {
    // Many browser steps from one address: the per-address limits are not what this file tests.
    server = await startHostileServer({ LEDGER_RATE_LIMIT_ALLOW: '127.0.0.1' });
    provider = await providerWithToken(server, { name: 'Browser e-service', returnUrls: [RETURN_URL, RETURN_WITH_QUERY] });
    other = await providerWithToken(server, { name: 'Other e-service', returnUrls: [OTHER_RETURN] });
    sepp = await seppOf(server, JANA, provider.providerId);
    actId = await newAct();
  });
  afterAll(() => stopHostileServer(server));

  async function newAct(p: Provider = provider, s?: string): Promise<string> {
    const a = await call(server, 'POST', '/api/v1/acts', { token: p.token, json: { sepp: s ?? sepp, documentHash: randomHash(), name: 'Browser act' } });
    if (a.status !== 201) throw new Error(describeAnswer(a));
    return String(a.body!.actId);
  }

  /** Runs a step that must be refused; the log head and the act stay as they were. */
  const refusedWithoutTrace = async (target: string, send: () => Promise<Answer>): Promise<Answer> => {
    const head = await logHead(server);
    const before = await getAct(server, provider.token, target);
    const answer = await send();
    expect(await logHead(server), `log head moved after ${describeAnswer(answer)}`).toBe(head);
    expect(await getAct(server, provider.token, target)).toEqual(before);
    return answer;
  };
  const noInjectedHeaders = (a: Answer, label: string) => {
    expect(a.headers.get('x-injected'), label).toBeNull();
    expect(a.headers.getSetCookie().some((c) => /injected/i.test(c)), label).toBe(false);
  };

  describe('GET /authorize/{actId}: a redirect_uri that is not registered gives an HTML page, never a redirect', () => {
    const attempts: Array<[string, string]> = [
      ['an unregistered URI on another host', 'https://evil.example/return'],
      ['a host that starts with the registered one', 'https://provider.example.evil.example/return'],
      ['credentials in front of another host', 'https://provider.example@evil.example/return'],
      ['a backslash before @', 'https://provider.example\\@evil.example/return'],
      ['a different path', 'https://provider.example/other'],
      ['dot segments', 'https://provider.example/return/../../evil'],
      ['an extra query', 'https://provider.example/return?next=https://evil.example/'],
      ['a fragment', 'https://provider.example/return#@evil.example'],
      ['plain http', 'http://provider.example/return'],
      ['a javascript: URI', 'javascript:alert(document.cookie)'],
      ['a data: URI', 'data:text/html,<script>alert(1)</script>'],
      ['a scheme-relative URI', '//evil.example/return'],
      ['a path-relative URI', '/\\evil.example/return'],
      ['a homoglyph host (Cyrillic i)', 'https://provіder.example/return'],
      ['another provider\'s registered URI', OTHER_RETURN],
      ['a leading space', ` ${RETURN_URL}`],
      ['a trailing space', `${RETURN_URL} `],
      ['a trailing tab', `${RETURN_URL}\t`],
      ['CRLF and a Set-Cookie header', `${RETURN_URL}\r\nSet-Cookie: injected=1`],
      ['CRLF and a Location header', `${RETURN_URL}\r\nLocation: https://evil.example/`],
      ['percent-encoded CRLF and a header', `${RETURN_URL}%0d%0aX-Injected:%201`],
      ['a NUL byte', `${RETURN_URL}\u0000`],
      ['a 5000-character URI', `https://provider.example/${'r'.repeat(5000)}`],
    ];
    it.each(attempts)('refuses %s', async (label, uri) => {
      const a = await refusedWithoutTrace(actId, async () => (await startAuthorization(server, actId, uri)).answer);
      expectHtmlRefusal(a, 400, label);
      expect(a.headers.getSetCookie(), label).toEqual([]);
      noInjectedHeaders(a, label);
      expect(a.text, 'the page does not reflect markup').not.toContain('<script>alert');
    });

    it.each([
      ['missing', null],
      ['empty', ''],
    ])('refuses a redirect_uri that is %s', async (label, uri) => {
      expectHtmlRefusal(await refusedWithoutTrace(actId, async () => (await startAuthorization(server, actId, uri)).answer), 400, label);
    });

    it.each([
      ['registered first, foreign second', [RETURN_URL, 'https://evil.example/return']],
      ['foreign first, registered second', ['https://evil.example/return', RETURN_URL]],
      ['the registered one twice', [RETURN_URL, RETURN_URL]],
    ])('refuses a repeated redirect_uri (%s)', async (label, uris) => {
      const q = uris.map((u) => `redirect_uri=${encodeURIComponent(u)}`).join('&');
      const a = await refusedWithoutTrace(actId, () => call(server, 'GET', `/authorize/${actId}?${q}&state=s1`));
      expectHtmlRefusal(a, 400, label);
    });

    it.each([
      ['missing', null],
      ['empty', ''],
      ['513 characters long', 's'.repeat(513)],
      ['with CRLF and a header', 'abc\r\nX-Injected: 1'],
      ['with a space', 'a b'],
      ['with a non-ASCII letter', 'stav-č'],
      ['with a NUL byte', 'a\u0000b'],
    ])('refuses a state that is %s', async (label, state) => {
      const a = await refusedWithoutTrace(actId, async () => (await startAuthorization(server, actId, RETURN_URL, state)).answer);
      expectHtmlRefusal(a, 400, label);
      noInjectedHeaders(a, label);
    });

    it('refuses a repeated state', async () => {
      const a = await refusedWithoutTrace(actId, () => call(server, 'GET', `/authorize/${actId}?redirect_uri=${encodeURIComponent(RETURN_URL)}&state=a&state=b`));
      expectHtmlRefusal(a, 400, 'repeated state');
    });

    it.each([
      ['not a UUID', () => 'not-an-act', 404],
      ['a UUID in upper case', () => actId.toUpperCase(), 404],
      ['an unknown UUID', () => '00000000-0000-4000-8000-000000000000', 404],
      ['a traversal', () => '..%2F..%2Fapi%2Fv1%2Fadmin%2Fproviders', 404],
    ] as Array<[string, () => string, number]>)('answers an act id that is %s with a 404 page', async (label, id, status) => {
      const a = await refusedWithoutTrace(actId, async () => (await startAuthorization(server, id())).answer);
      expectHtmlRefusal(a, status, label);
    });

    it('refuses another provider\'s act with this provider\'s return URL', async () => {
      const foreignAct = await newAct(other, await seppOf(server, JANA, other.providerId));
      const head = await logHead(server);
      const { answer } = await startAuthorization(server, foreignAct, RETURN_URL);
      expectHtmlRefusal(answer, 400, 'foreign act');
      expect(await logHead(server)).toBe(head);
    });
  });

  describe('header injection and host spoofing over raw HTTP', () => {
    it.each([
      ['percent-encoded CRLF in redirect_uri', () => `/authorize/${actId}?redirect_uri=${encodeURIComponent(RETURN_URL)}%0d%0aX-Injected:%201&state=s`],
      ['percent-encoded CRLF in state', () => `/authorize/${actId}?redirect_uri=${encodeURIComponent(RETURN_URL)}&state=s%0d%0aX-Injected:%201`],
      ['percent-encoded CRLF in the act id', () => `/authorize/${actId}%0d%0aX-Injected:%201?redirect_uri=${encodeURIComponent(RETURN_URL)}&state=s`],
    ])('never writes a header from %s', async (_label, path) => {
      const raw = await rawExchange(server, requestHead(server, 'GET', path(), { Connection: 'close' }));
      expect(raw.status, raw.raw.slice(0, 300)).toBeGreaterThanOrEqual(400);
      expect(raw.status).toBeLessThan(500);
      const head = raw.raw.split('\r\n\r\n')[0]!;
      expect(head).not.toMatch(/\r\nX-Injected/i);
      expect(head).not.toMatch(/\r\nlocation:/i);
    });

    it('refuses a raw CR LF inside the request target at the HTTP layer', async () => {
      const raw = await rawExchange(server, `GET /authorize/${actId}?redirect_uri=${RETURN_URL}\r\nX-Injected: 1&state=s HTTP/1.1\r\nHost: x\r\n\r\n`);
      expect(raw.raw).not.toMatch(/^HTTP\/1\.1 [35]\d\d/);
      expect(raw.raw.split('\r\n\r\n')[0]).not.toMatch(/\r\nlocation:/i);
    });

    it('builds the identity provider redirect from its public URL, not from a spoofed Host', async () => {
      const target = await newAct();
      const path = `/authorize/${target}?redirect_uri=${encodeURIComponent(RETURN_URL)}&state=host-1`;
      const raw = await rawExchange(server, `GET ${path} HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n`);
      expectNo5xx({ status: raw.status ?? 0, headers: new Headers(), text: raw.raw, body: undefined });
      const location = /\r\nlocation: ([^\r\n]+)/i.exec(raw.raw)?.[1];
      if (location) expect(location.startsWith(`${server.url}/`), location).toBe(true);
    });

    it('ignores X-Forwarded-Host and X-Forwarded-Proto when it builds redirects', async () => {
      const target = await newAct();
      const a = await call(server, 'GET', `/authorize/${target}?redirect_uri=${encodeURIComponent(RETURN_URL)}&state=host-2`, {
        headers: { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https', forwarded: 'host=evil.example;proto=https' },
      });
      expect(a.status, describeAnswer(a)).toBe(303);
      expect(a.headers.get('location')!.startsWith(`${server.url}/`)).toBe(true);
    });
  });

  describe('the callback', () => {
    it('returns once to the registered URI, then refuses the same callback replayed with a page, changing nothing', async () => {
      const target = await newAct();
      const flow = await throughSimulator(server, target);
      const back = await getWithCookie(flow.callbackUrl, flow.cookie);
      expect(back.status, describeAnswer(back)).toBe(303);
      const location = new URL(back.headers.get('location')!);
      expect(`${location.origin}${location.pathname}`).toBe(RETURN_URL);
      expect(await getAct(server, provider.token, target)).toMatchObject({ status: 'authorized' });

      for (let i = 0; i < 3; i++) {
        const replay = await refusedWithoutTrace(target, () => getWithCookie(flow.callbackUrl, flow.cookie));
        expectHtmlRefusal(replay, [400, 409], 'callback replay');
      }
      // Replayed without the cookie, or in parallel: still a page, still nothing.
      expectHtmlRefusal(await refusedWithoutTrace(target, () => getWithCookie(flow.callbackUrl)), 400, 'replay without cookie');
      const parallel = await Promise.all([1, 2, 3, 4, 5].map(() => getWithCookie(flow.callbackUrl, flow.cookie)));
      for (const a of parallel) expectHtmlRefusal(a, [400, 409], 'parallel replay');
    });

    it('completes once when the same valid callback arrives 10 times at once', async () => {
      const target = await newAct();
      const flow = await throughSimulator(server, target);
      const answers = await Promise.all(Array.from({ length: 10 }, () => getWithCookie(flow.callbackUrl, flow.cookie)));
      for (const a of answers) expectNo5xx(a, 'parallel callback');
      expect(answers.filter((a) => a.status === 303), answers.map(describeAnswer).join('\n')).toHaveLength(1);
      for (const a of answers.filter((x) => x.status !== 303)) expectHtmlRefusal(a, [400, 409], 'parallel callback');
      expect(await getAct(server, provider.token, target)).toMatchObject({ status: 'authorized' });
    });

    describe('with a tampered or foreign transaction cookie: a 400 page, the act still pending', () => {
      let target: string;
      let flow: { callbackUrl: string; cookie: string };
      let otherFlow: { callbackUrl: string; cookie: string };
      let name: string;
      let value: string;
      beforeAll(async () => {
        target = await newAct();
        flow = await throughSimulator(server, target);
        otherFlow = await throughSimulator(server, await newAct());
        [name, value] = flow.cookie.split('=') as [string, string];
      });
      const flip = (s: string, at: number) => `${s.slice(0, at)}${s[at] === 'A' ? 'B' : 'A'}${s.slice(at + 1)}`;
      const variants: Array<[string, () => string | undefined]> = [
        ['no cookie', () => undefined],
        ['an empty value', () => `${name}=`],
        ['garbage', () => `${name}=garbage`],
        ['the last characters replaced', () => `${name}=${value.slice(0, -4)}AAAA`],
        ['one character of the ciphertext flipped', () => `${name}=${flip(value, Math.floor(value.length / 2))}`],
        ['the header segment flipped', () => `${name}=${flip(value, 5)}`],
        ['the JWE with its tag removed', () => `${name}=${value.split('.').slice(0, 4).join('.')}.`],
        ['an alg:none JWT', () => `${name}=${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"tx":{}}').toString('base64url')}.`],
        ['another transaction\'s cookie renamed to this state', () => `${name}=${otherFlow.cookie.split('=')[1]}`],
        ['another transaction\'s cookie under its own name', () => otherFlow.cookie],
        ['a 3000-character value', () => `${name}=${'a'.repeat(3000)}`],
      ];
      it.each(variants)('refuses %s', async (label, cookie) => {
        const a = await refusedWithoutTrace(target, () => getWithCookie(flow.callbackUrl, cookie()));
        expectHtmlRefusal(a, 400, label);
      });
      it('still completes the real flow afterwards', async () => {
        const a = await getWithCookie(flow.callbackUrl, flow.cookie);
        expect(a.status, describeAnswer(a)).toBe(303);
        expect(await getAct(server, provider.token, target)).toMatchObject({ status: 'authorized' });
      });
      it('with the cookie twice, the first forged: a page, or the real flow completed once and back to the registered URI', async () => {
        const second = await newAct();
        const f = await throughSimulator(server, second);
        const [n] = f.cookie.split('=');
        const a = await getWithCookie(f.callbackUrl, `${n}=forged; ${f.cookie}`);
        expectNo5xx(a, 'duplicate cookie');
        if (a.status === 303) expect(new URL(a.headers.get('location')!).origin).toBe('https://provider.example');
        else expectHtmlRefusal(a, 400, 'duplicate cookie');
      });
    });

    describe('with tampered callback parameters', () => {
      it.each([
        ['the state removed', (u: URL) => u.searchParams.delete('state')],
        ['the state repeated', (u: URL) => u.searchParams.append('state', u.searchParams.get('state')!)],
        ['the state of another format', (u: URL) => u.searchParams.set('state', 'x'.repeat(30))],
        ['a parameter repeated', (u: URL) => u.searchParams.append('result', 'x')],
      ])('refuses a callback with %s with a 400 page', async (label, tamper) => {
        const target = await newAct();
        const flow = await throughSimulator(server, target);
        const url = new URL(flow.callbackUrl);
        tamper(url);
        const a = await refusedWithoutTrace(target, () => getWithCookie(url.href, flow.cookie));
        expectHtmlRefusal(a, 400, label);
      });

      it.each([
        ['a garbage result', (u: URL) => u.searchParams.set('result', 'garbage')],
        ['the result removed', (u: URL) => u.searchParams.delete('result')],
      ])('never authorizes a callback with %s (a page, or back to the registered URI with the act not authorized)', async (label, tamper) => {
        const target = await newAct();
        const flow = await throughSimulator(server, target);
        const url = new URL(flow.callbackUrl);
        tamper(url);
        const a = await getWithCookie(url.href, flow.cookie);
        expectNo5xx(a, label);
        if (a.status === 303) expect(new URL(a.headers.get('location')!).origin, label).toBe('https://provider.example');
        else expectHtmlRefusal(a, [400, 409], label);
        expect((await getAct(server, provider.token, target)).status, label).not.toBe('authorized');
      });

      it('never authorizes with the simulator result of another transaction', async () => {
        const target = await newAct();
        const flow = await throughSimulator(server, target);
        const foreign = await throughSimulator(server, await newAct());
        const url = new URL(flow.callbackUrl);
        url.searchParams.set('result', new URL(foreign.callbackUrl).searchParams.get('result')!);
        const a = await getWithCookie(url.href, flow.cookie);
        expectNo5xx(a, 'swapped result');
        expect((await getAct(server, provider.token, target)).status).not.toBe('authorized');
      });
    });
  });

  describe('the simulated identity node', () => {
    it.each([
      ['GET without a request', () => call(server, 'GET', '/simulator/identity')],
      ['GET with an alg:none request', () => call(server, 'GET', '/simulator/identity?request=eyJhbGciOiJub25lIn0.e30.')],
      ['GET with a garbage request', () => call(server, 'GET', `/simulator/identity?request=${'x'.repeat(2000)}`)],
      ['GET with the request repeated', () => call(server, 'GET', '/simulator/identity?request=a&request=b')],
      ['POST with a forged request', () => call(server, 'POST', '/simulator/identity', { raw: 'request=forged&action=authenticate&person=test-person-jana&means=eid-card', headers: { 'content-type': 'application/x-www-form-urlencoded' } })],
      ['POST without a body', () => call(server, 'POST', '/simulator/identity', { raw: '', headers: { 'content-type': 'application/x-www-form-urlencoded' } })],
    ])('refuses %s with a page', async (label, send) => {
      expectHtmlRefusal(await send(), 400, label);
    });

    it('refuses a person or identity means it does not offer, with a page', async () => {
      const target = await newAct();
      const { answer } = await startAuthorization(server, target);
      const request = new URL(answer.headers.get('location')!).searchParams.get('request')!;
      for (const [person, means] of [['no-such-person', 'eid-card'], [JANA, 'no-such-means'], ['test-person-hans', 'eid-card']] as const) {
        const a = await call(server, 'POST', '/simulator/identity', { raw: new URLSearchParams({ request, action: 'authenticate', person, means }), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
        expectNo5xx(a, `${person}/${means}`);
        if (a.status === 303) {
          // Answered: the callback must then not authorize another person's act.
          continue;
        }
        expectHtmlRefusal(a, 400, `${person}/${means}`);
      }
    });
  });

  describe('the citizen portal', () => {
    let session: string;
    beforeAll(async () => {
      const login = await call(server, 'GET', '/portal/login');
      if (login.status !== 303) throw new Error(describeAnswer(login));
      const callbackUrl = await simulatorChoice(server, login.headers.get('location')!);
      const back = await getWithCookie(callbackUrl, cookiePairs(login).join('; '));
      if (back.status !== 303) throw new Error(describeAnswer(back));
      session = cookiePairs(back).find((c) => c.startsWith('ledger_portal='))!;
    });

    it('answers the citizen log with a real session (control)', async () => {
      const a = await getWithCookie(`${server.url}/api/v1/citizen/log`, session);
      expect(a.status, describeAnswer(a)).toBe(200);
    });

    const value = () => session.split('=')[1]!;
    const tampered: Array<[string, () => string | undefined]> = [
      ['no cookie', () => undefined],
      ['an empty session cookie', () => 'ledger_portal='],
      ['garbage', () => 'ledger_portal=garbage'],
      ['the tag replaced', () => `ledger_portal=${value().slice(0, -4)}AAAA`],
      ['the ciphertext changed', () => `ledger_portal=${value().replace(/\.([A-Za-z0-9_-])/, (_m, c: string) => `.${c === 'A' ? 'B' : 'A'}`)}`],
      ['an alg:none JWT', () => `ledger_portal=${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"aifo":"test-person-jana"}').toString('base64url')}.`],
      ['a 6000-character value', () => `ledger_portal=${'a'.repeat(6000)}`],
      ['the session under another name', () => `ledger_portal_x=${value()}`],
    ];
    it.each(tampered)('answers the citizen log with %s with 401 unauthorized', async (label, cookie) => {
      expectProblem(await getWithCookie(`${server.url}/api/v1/citizen/log`, cookie()), 401, 'unauthorized', label);
    });
    it.each(tampered)('shows the sign-in page at /portal with %s', async (label, cookie) => {
      const a = await getWithCookie(`${server.url}/portal`, cookie());
      expect(a.status, `${label}: ${describeAnswer(a)}`).toBe(200);
      expect(a.headers.get('content-type')).toMatch(/^text\/html/);
      expect(a.text).not.toContain('digital-act-authorization');
    });

    it.each([
      ['no cookie and no state', '/portal/callback'],
      ['a state of another format', '/portal/callback?state=abc&result=x'],
      ['a well-formed state without its cookie', `/portal/callback?state=${'A'.repeat(22)}&result=x`],
      ['a repeated state', `/portal/callback?state=${'A'.repeat(22)}&state=${'B'.repeat(22)}`],
    ])('refuses a portal callback with %s with a 400 page', async (label, path) => {
      expectHtmlRefusal(await getWithCookie(`${server.url}${path}`), 400, label);
    });

    it('refuses a portal callback with a tampered transaction cookie, and its replay', async () => {
      const login = await call(server, 'GET', '/portal/login');
      const callbackUrl = await simulatorChoice(server, login.headers.get('location')!);
      const [pair] = cookiePairs(login);
      const [name, v] = pair!.split('=') as [string, string];
      expectHtmlRefusal(await getWithCookie(callbackUrl, `${name}=${v.slice(0, -4)}AAAA`), 400, 'tampered portal transaction');
      const real = await getWithCookie(callbackUrl, pair);
      expect(real.status, describeAnswer(real)).toBe(303);
      expect(real.headers.get('location')).toMatch(/^\/portal(\?|$)/);
      expectHtmlRefusal(await getWithCookie(callbackUrl, pair), 400, 'replayed portal callback');
    });

    it('signs out for good: the old session cookie is refused afterwards', async () => {
      const login = await call(server, 'GET', '/portal/login');
      const callbackUrl = await simulatorChoice(server, login.headers.get('location')!);
      const back = await getWithCookie(callbackUrl, cookiePairs(login).join('; '));
      const mine = cookiePairs(back).find((c) => c.startsWith('ledger_portal='))!;
      expect((await getWithCookie(`${server.url}/api/v1/citizen/log`, mine)).status).toBe(200);
      const out = await fetch(`${server.url}/portal/logout`, { method: 'POST', redirect: 'manual', headers: { cookie: mine, 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
      expect(out.status).toBe(303);
      expectProblem(await getWithCookie(`${server.url}/api/v1/citizen/log`, mine), 401, 'unauthorized', 'signed-out cookie');
    });

    it('signs out a garbage cookie without a 5xx and redirects only within the portal', async () => {
      const out = await fetch(`${server.url}/portal/logout?lang=${encodeURIComponent('https://evil.example')}`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: 'ledger_portal=garbage', 'content-type': 'application/x-www-form-urlencoded' },
        body: '',
      });
      expect(out.status).toBeLessThan(500);
      const location = out.headers.get('location');
      if (location) expect(location).toMatch(/^\/portal(\?|$)/);
      await out.body?.cancel();
    });

    it('does not reflect markup from the query string', async () => {
      const a = await call(server, 'GET', `/portal?lang=${encodeURIComponent('"><script>alert(1)</script>')}`);
      expectNo5xx(a, 'lang injection');
      expect(a.text).not.toContain('<script>alert(1)</script>');
    });
  });

  it('kept serving and logged no unhandled error', async () => {
    await expectServing(server);
    expect(unhandledErrorLines(server)).toEqual([]);
  });
});
