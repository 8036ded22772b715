/**
 * Hostile input, surface 7: the HTTP layer itself, over raw TCP. Whatever arrives, the server
 * answers a 4xx or closes the connection, never a 5xx, and keeps serving everyone else.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  JANA,
  accessToken,
  call,
  clientAssertion,
  describeAnswer,
  expectHtmlRefusal,
  expectProblem,
  expectServing,
  holdConnection,
  logHead,
  providerWithToken,
  randomHash,
  rawExchange,
  requestHead,
  seppOf,
  startHostileServer,
  stopHostileServer,
  times,
  tokenForm,
  tokenUrl,
  unhandledErrorLines,
  type HeldConnection,
  type Provider,
  type RawAnswer,
  type RunningServer,
} from './support.ts';

/** How long the suite lets a stalled request hold a connection before the server must end it (a bound, not a measurement). */
const STALL_BOUND_MS = 30_000;

describe('hostile: HTTP level', () => {
  let server: RunningServer;
  let provider: Provider;
  let actId: string;

  beforeAll(async () => {
    server = await startHostileServer();
    provider = await providerWithToken(server, { name: 'HTTP-level e-service' });
    const sepp = await seppOf(server, JANA, provider.providerId);
    actId = String((await call(server, 'POST', '/api/v1/acts', { token: provider.token, json: { sepp, documentHash: randomHash(), name: 'HTTP act' } })).body!.actId);
  });
  afterAll(() => stopHostileServer(server));

  /** A 4xx, or a connection closed without an answer; never a 5xx. */
  const refusedAtHttpLevel = (r: RawAnswer, label: string) => {
    const what = `${label}: ${JSON.stringify(r.raw.slice(0, 300))}`;
    for (const s of r.statuses) expect(s, what).toBeLessThan(500);
    if (r.status !== undefined) expect(r.status, what).toBeGreaterThanOrEqual(400);
    else expect(r.closedByServer, what).toBe(true);
  };
  /** The server still answers others, and correctly. */
  const stillServing = async () => {
    await expectServing(server);
    const me = await call(server, 'GET', '/api/v1/provider', { token: provider.token });
    expect(me.status, describeAnswer(me)).toBe(200);
  };
  const host = () => new URL(server.url).host;

  describe('huge headers', () => {
    const cases: Array<[string, () => string]> = [
      ['one 20 KB header', () => requestHead(server, 'GET', '/healthz', { 'X-Big': 'x'.repeat(20_000) })],
      ['one 200 KB header', () => requestHead(server, 'GET', '/healthz', { 'X-Big': 'x'.repeat(200_000) })],
      ['3000 small headers', () => requestHead(server, 'GET', '/healthz', Object.fromEntries(times(3000).map((i) => [`X-H${i}`, 'v'])))],
      ['a 20 KB cookie on the portal', () => requestHead(server, 'GET', '/portal', { Cookie: `ledger_portal=${'a'.repeat(20_000)}` })],
      ['a 20 KB Authorization header on the acts API', () => requestHead(server, 'POST', '/api/v1/acts', { Authorization: `Bearer ${'a'.repeat(20_000)}`, 'Content-Type': 'application/json', 'Content-Length': '2' }) + '{}'],
      ['a 20 KB URL', () => requestHead(server, 'GET', `/healthz?${'q'.repeat(20_000)}`)],
      ['a 20 KB path', () => requestHead(server, 'GET', `/${'p'.repeat(20_000)}`)],
      ['5000 query parameters', () => requestHead(server, 'GET', `/api/v1/failed-authorizations?${times(5000).map((i) => `p${i}=1`).join('&')}`, { Authorization: `Bearer ${provider.token}` })],
    ];
    it.each(cases)('answers %s with 431 or another 4xx, and keeps serving', async (label, make) => {
      const r = await rawExchange(server, make());
      refusedAtHttpLevel(r, label);
      await stillServing();
    });

    it('answers a 20 KB header sent with fetch with 431 or another 4xx', async () => {
      const res = await fetch(`${server.url}/api/v1/provider`, { headers: { authorization: `Bearer ${provider.token}`, 'x-big': 'x'.repeat(20_000) } });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      await res.body?.cancel();
    });
  });

  describe('malformed request lines and headers', () => {
    const cases: Array<[string, () => string | Buffer]> = [
      ['a line of garbage', () => 'GARBAGE\r\n\r\n'],
      ['binary junk', () => Buffer.from(times(512).map((i) => (i * 37) % 256))],
      ['a TLS ClientHello on the plain port', () => Buffer.from('16030100a5010000a10303', 'hex')],
      ['HTTP/9.9', () => `GET /healthz HTTP/9.9\r\nHost: ${host()}\r\n\r\n`],
      ['HTTP/2 preface', () => 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'],
      ['a space inside the method', () => `G ET /healthz HTTP/1.1\r\nHost: ${host()}\r\n\r\n`],
      ['a method with symbols', () => `G@T /healthz HTTP/1.1\r\nHost: ${host()}\r\n\r\n`],
      ['no request target', () => `GET HTTP/1.1\r\nHost: ${host()}\r\n\r\n`],
      ['a header line without a colon', () => `GET /healthz HTTP/1.1\r\nHost: ${host()}\r\nBad Header\r\n\r\n`],
      ['a space before the colon', () => `GET /healthz HTTP/1.1\r\nHost : ${host()}\r\n\r\n`],
      ['a NUL in a header value', () => `GET /healthz HTTP/1.1\r\nHost: ${host()}\r\nX-A: a\u0000b\r\n\r\n`],
      ['a raw CR inside a header value', () => `GET /healthz HTTP/1.1\r\nHost: ${host()}\r\nX-A: a\rb\r\n\r\n`],
      ['an obsolete folded header', () => `GET /healthz HTTP/1.1\r\nHost: ${host()}\r\nX-A: a\r\n b\r\n\r\n`],
      ['bare LF line endings', () => `GET /healthz HTTP/1.1\nHost: ${host()}\n\n`],
      ['HTTP/1.1 without Host', () => 'GET /healthz HTTP/1.1\r\n\r\n'],
      ['two Host headers (RFC 9112 section 3.2: 400)', () => `GET /healthz HTTP/1.1\r\nHost: ${host()}\r\nHost: evil.example\r\nConnection: close\r\n\r\n`],
      ['a NUL in the request target', () => `GET /heal\u0000thz HTTP/1.1\r\nHost: ${host()}\r\n\r\n`],
      ['a DEL in the request target', () => `GET /heal\u007fthz HTTP/1.1\r\nHost: ${host()}\r\n\r\n`],
      ['a non-ASCII byte in the request target', () => Buffer.concat([Buffer.from('GET /heal'), Buffer.from([0xff]), Buffer.from(`thz HTTP/1.1\r\nHost: ${host()}\r\n\r\n`)])],
      ['CONNECT to another host', () => 'CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n'],
    ];
    it.each(cases)('refuses %s with a 4xx or a closed connection, and keeps serving', async (label, make) => {
      refusedAtHttpLevel(await rawExchange(server, make()), label);
      await stillServing();
    });

    it.each([
      ['a request without a version (HTTP/0.9 style)', 'GET /healthz\r\n\r\n'],
      ['two spaces before the target', 'GET  /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'],
      ['TRACE', 'TRACE /healthz HTTP/1.1\r\nHost: x\r\nX-Secret: reflected?\r\nConnection: close\r\n\r\n'],
      ['OPTIONS *', 'OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'],
      ['an absolute-form target naming another host', 'GET http://evil.example/healthz HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n'],
      ['a percent sign that is not an escape', 'GET /api/v1/acts/% HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'],
      ['an encoded dot-dot towards the admin API', 'GET /api/v1/%2e%2e/admin/providers HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'],
    ])('answers %s without a 5xx and without reflecting headers', async (label, raw) => {
      const r = await rawExchange(server, raw);
      for (const s of r.statuses) expect(s, `${label}: ${r.raw.slice(0, 200)}`).toBeLessThan(500);
      expect(r.raw).not.toContain('reflected?');
      if (label.includes('dot-dot')) expect(r.status).not.toBe(200);
      await stillServing();
    });

    it.each([
      ['chunked garbage to the acts API', () => `POST /api/v1/acts HTTP/1.1\r\nHost: ${host()}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\n\r\n`],
      ['Content-Length and Transfer-Encoding to the token endpoint', () => `POST /api/v1/token HTTP/1.1\r\nHost: ${host()}\r\nContent-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`],
      ['a negative Content-Length to the token endpoint', () => `POST /api/v1/token HTTP/1.1\r\nHost: ${host()}\r\nContent-Type: application/json\r\nContent-Length: -1\r\n\r\n`],
    ])('answers %s with application/problem+json like every other API refusal', async (label, make) => {
      const r = await rawExchange(server, make());
      refusedAtHttpLevel(r, label);
      expect(r.raw.split('\r\n\r\n')[0], `${label}: ${r.raw.slice(0, 300)}`).toMatch(/\r\ncontent-type: application\/problem\+json/i);
    });
  });

  describe('chunked garbage and request smuggling', () => {
    const post = (path: string, headers: Record<string, string>, body: string) => `${requestHead(server, 'POST', path, headers).slice(0, -2)}\r\n${body}`;
    const cases: Array<[string, () => string]> = [
      ['a chunk size that is not hex', () => post('/api/v1/token', { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' }, 'ZZZ\r\n{}\r\n0\r\n\r\n')],
      ['a chunk size that overflows', () => post('/api/v1/token', { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' }, 'FFFFFFFFFFFFFFFFFFFF\r\nx\r\n0\r\n\r\n')],
      ['a chunk longer than its size', () => post('/api/v1/token', { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' }, '2\r\n{"grant_type":1}\r\n0\r\n\r\n')],
      ['a chunk extension with a NUL', () => post('/api/v1/token', { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' }, '2;\u0000\r\n{}\r\n0\r\n\r\n')],
      ['a chunk without CRLF after the data', () => post('/api/v1/token', { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' }, '2\r\n{}XX0\r\n\r\n')],
      ['a negative chunk size', () => post('/api/v1/token', { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' }, '-2\r\n{}\r\n0\r\n\r\n')],
      ['an unknown transfer coding', () => post('/api/v1/acts', { 'Content-Type': 'application/json', 'Transfer-Encoding': 'xchunked' }, '')],
      ['chunked not last among transfer codings', () => post('/api/v1/acts', { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked, identity' }, '0\r\n\r\n')],
      ['Transfer-Encoding with a space before the colon', () => `POST /api/v1/token HTTP/1.1\r\nHost: ${host()}\r\nTransfer-Encoding : chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n`],
      ['two different Content-Length headers', () => post('/api/v1/token', { 'Content-Type': 'application/json', 'Content-Length': '2', 'content-length': '3' }, '{}x')],
      ['a Content-Length that is not a number', () => post('/api/v1/token', { 'Content-Type': 'application/json', 'Content-Length': 'abc' }, '{}')],
      ['a Content-Length with a plus sign', () => post('/api/v1/token', { 'Content-Type': 'application/json', 'Content-Length': '+2' }, '{}')],
    ];
    it.each(cases)('refuses %s, and keeps serving', async (label, make) => {
      refusedAtHttpLevel(await rawExchange(server, make()), label);
      await stillServing();
    });

    it('never runs a request smuggled behind Content-Length + Transfer-Encoding', async () => {
      const smuggled = `GET /api/v1/admin/providers HTTP/1.1\r\nHost: ${host()}\r\nAuthorization: Bearer ${server.adminToken}\r\n\r\n`;
      const r = await rawExchange(server, `POST /api/v1/token HTTP/1.1\r\nHost: ${host()}\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${smuggled}`);
      refusedAtHttpLevel(r, 'CL.TE smuggling');
      expect(r.statuses, r.raw.slice(0, 400)).not.toContain(200);
      expect(r.raw).not.toContain('"providers"');
    });

    it('answers a chunked body over the body limit with 413 payload-too-large', async () => {
      const chunk = 'x'.repeat(16_000);
      const chunks = times(8).map(() => `${chunk.length.toString(16)}\r\n${chunk}\r\n`).join('');
      const r = await rawExchange(server, post('/api/v1/token', { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' }, `${chunks}0\r\n\r\n`));
      expect(r.status, r.raw.slice(0, 300)).toBe(413);
      expect(r.raw).toMatch(/content-type: application\/problem\+json/i);
      expect(r.raw).toContain('urn:problem:act-ledger:payload-too-large');
    });

    it('answers a well-formed chunked body of invalid JSON with 400 invalid-request problem+json', async () => {
      const r = await rawExchange(server, post('/api/v1/token', { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', Connection: 'close' }, '5\r\n{"gra\r\n0\r\n\r\n'));
      expect(r.status, r.raw.slice(0, 300)).toBe(400);
      expect(r.raw).toContain('urn:problem:act-ledger:invalid-request');
    });

    it('issues a token for a well-formed chunked form body (control)', async () => {
      const body = tokenForm(await clientAssertion(provider, tokenUrl(server))).toString();
      const parts = [body.slice(0, 100), body.slice(100, 300), body.slice(300)].filter(Boolean);
      const chunked = `${parts.map((p) => `${Buffer.byteLength(p).toString(16)}\r\n${p}\r\n`).join('')}0\r\n\r\n`;
      const r = await rawExchange(server, post('/api/v1/token', { 'Content-Type': 'application/x-www-form-urlencoded', 'Transfer-Encoding': 'chunked', Connection: 'close' }, chunked));
      expect(r.status, r.raw.slice(0, 300)).toBe(200);
      expect(r.raw).toContain('access_token');
    });

    it('answers a declared Content-Length of a terabyte with 413 without waiting for the body', async () => {
      const r = await rawExchange(server, requestHead(server, 'POST', '/api/v1/token', { 'Content-Type': 'application/json', 'Content-Length': String(10 ** 12) }), { until: (raw) => /\r\n\r\n/.test(raw) });
      expect(r.status, r.raw.slice(0, 300)).toBe(413);
    });

    it('does not invite a terabyte body with 100 Continue', async () => {
      const r = await rawExchange(server, requestHead(server, 'POST', '/api/v1/token', { 'Content-Type': 'application/json', 'Content-Length': String(10 ** 12), Expect: '100-continue' }), {
        until: (raw) => /HTTP\/1\.1 [2-5]\d\d/.test(raw),
      });
      for (const s of r.statuses) expect(s).toBeLessThan(500);
      expect(r.statuses.filter((s) => s >= 400), r.raw.slice(0, 300)).toEqual([413]);
    });
  });

  describe('pipelining', () => {
    it('answers 10 pipelined requests in order', async () => {
      const one = requestHead(server, 'GET', '/healthz', { Connection: 'keep-alive' });
      const r = await rawExchange(server, [one.repeat(9), requestHead(server, 'GET', '/healthz')]);
      expect(r.statuses).toEqual(times(10).map(() => 200));
    });

    it('refuses a malformed request pipelined behind a good one without a 5xx (Node may drop the good one with the connection)', async () => {
      const r = await rawExchange(server, `${requestHead(server, 'GET', '/healthz', { Connection: 'keep-alive' })}GARBAGE\r\n\r\n`);
      for (const s of r.statuses) expect(s, r.raw.slice(0, 300)).not.toBeGreaterThanOrEqual(500);
      expect(r.statuses.filter((s) => s >= 400).length > 0 || r.closedByServer, r.raw.slice(0, 300)).toBe(true);
      await stillServing();
    });
  });

  describe('over-long path parameters keep the route\'s kind of answer', () => {
    it('answers /authorize/<101 characters> with an HTML page, not a JSON error', async () => {
      const a = await call(server, 'GET', `/authorize/${'a'.repeat(101)}?redirect_uri=x&state=s`);
      expectHtmlRefusal(a, [400, 404, 414], 'long act id on the browser route');
    });
    it('answers GET /api/v1/acts/<101 characters> with problem+json', async () => {
      const a = await call(server, 'GET', `/api/v1/acts/${'a'.repeat(101)}`, { token: provider.token });
      expectProblem(a, [400, 404, 414], ['invalid-request', 'not-found'], 'long act id on the API');
    });
    it('answers GET /api/v1/acts/<101 characters> without a token with 401', async () => {
      const a = await call(server, 'GET', `/api/v1/acts/${'a'.repeat(101)}`);
      expectProblem(a, [401, 414], ['unauthorized', 'invalid-request'], 'long act id without a token');
    });
  });

  describe('slow and stalled requests', () => {
    const partialBodies = () => [
      `${requestHead(server, 'POST', '/api/v1/token', { 'Content-Type': 'application/json', 'Content-Length': '500' })}{"grant_type":"client_cre`,
      `${requestHead(server, 'POST', '/api/v1/acts', { Authorization: `Bearer ${provider.token}`, 'Content-Type': 'application/json', 'Content-Length': '800' })}{"sepp":"`,
      `${requestHead(server, 'POST', '/api/v1/public/verifications', { 'Content-Type': 'multipart/form-data; boundary=b', 'Content-Length': '100000' })}--b\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nstart`,
      `${requestHead(server, 'POST', '/api/v1/admin/providers', { Authorization: `Bearer ${server.adminToken}`, 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' })}10\r\n{"name":"stall"`,
    ];

    it('keeps serving others while 40 connections hold partial bodies, and refuses each when its client gives up', async () => {
      const held: HeldConnection[] = [];
      for (let i = 0; i < 10; i++) for (const head of partialBodies()) held.push(await holdConnection(server, head));
      const head = await logHead(server);
      await stillServing();
      const token = await accessToken(server, provider);
      expect((await call(server, 'GET', `/api/v1/acts/${actId}`, { token })).status).toBe(200);
      // The clients stop sending and half-close: each stalled request is refused or closed, none answered 5xx.
      for (const c of held) c.socket.end();
      const settled = await Promise.all(held.map((c) => c.settled(10_000)));
      for (const r of settled) for (const s of r.statuses) expect(s, r.raw.slice(0, 200)).toBeLessThan(500);
      for (const c of held) c.socket.destroy();
      expect(await logHead(server)).toBe(head);
      await stillServing();
    });

    it('answers a body trickled one byte at a time like any other body', async () => {
      const body = JSON.stringify({ grant_type: 'client_credentials', client_assertion_type: 'x', client_assertion: 'y' });
      const c = await holdConnection(server, requestHead(server, 'POST', '/api/v1/token', { 'Content-Type': 'application/json', 'Content-Length': String(body.length), Connection: 'close' }));
      for (const ch of body) {
        c.socket.write(ch);
        await new Promise((r) => setTimeout(r, 15));
      }
      const r = await c.settled(10_000);
      c.socket.destroy();
      expect(r.status, r.raw.slice(0, 300)).toBe(400);
      expect(r.raw).toContain('urn:problem:act-ledger:invalid-request');
    });

    // The server must end requests that stop half-way; without a timeout, a few thousand idle sockets hold it (slowloris).
    it.concurrent.each([
      ['a partial body that then stops', () => partialBodies()[0]!],
      ['headers that stop half-way', () => `POST /api/v1/token HTTP/1.1\r\nHost: ${host()}\r\nContent-Type: applica`],
      ['a connection that never sends a byte', () => ''],
    ])(`ends %s within ${STALL_BOUND_MS / 1000} s (408, 4xx or close), and serves others meanwhile`, async (label, head) => {
      const c = await holdConnection(server, head());
      await stillServing();
      const r = await c.settled(STALL_BOUND_MS);
      c.socket.destroy();
      for (const s of r.statuses) expect(s, `${label}: ${r.raw.slice(0, 200)}`).toBeLessThan(500);
      expect(r.closedByServer || r.status !== undefined, `${label}: the server still held the stalled connection after ${STALL_BOUND_MS} ms`).toBe(true);
      if (r.status !== undefined) expect(r.status).toBeGreaterThanOrEqual(400);
    }, STALL_BOUND_MS + 30_000);
  });

  it('kept serving and logged no unhandled error', async () => {
    await stillServing();
    expect(unhandledErrorLines(server)).toEqual([]);
  });
});
