/**
 * Hostile input, surface 4: the public verification (captcha and upload). Public callers never
 * write to the log; every refusal is problem+json with a stable type.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChallenge } from 'altcha-lib/v1';
import { multipartBody } from '../support/act-flows.ts';
import {
  JANA,
  call,
  codeSha512,
  describeAnswer,
  expectNo5xx,
  expectProblem,
  expectServing,
  issueCode,
  ledgerCaptchaKey,
  logHead,
  providerWithToken,
  seppOf,
  solve,
  solvedCaptcha,
  startHostileServer,
  stopHostileServer,
  times,
  unhandledErrorLines,
  type Answer,
  type CallOptions,
  type RunningServer,
} from './support.ts';

const PATH = '/api/v1/public/verifications';
const UPLOAD_LIMIT = 65_536;
const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64');
const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

describe('hostile: public verification, captcha and upload', () => {
  let server: RunningServer;
  const document = randomBytes(2000);
  let headAfterSetup: number;

  beforeAll(async () => {
    server = await startHostileServer({ LEDGER_CAPTCHA_MAX_NUMBER: '1000', LEDGER_UPLOAD_LIMIT: String(UPLOAD_LIMIT) });
    // One authorized act, so a lookup has something to find.
    const provider = await providerWithToken(server, { name: 'Public e-service' });
    const sepp = await seppOf(server, JANA, provider.providerId);
    const created = await call(server, 'POST', '/api/v1/acts', { token: provider.token, json: { sepp, documentHash: sha256(document), name: 'Published act' } });
    const actId = String(created.body!.actId);
    const { codeId, code } = await issueCode(server, provider.token, actId, JANA);
    await call(server, 'POST', `/api/v1/acts/${actId}/codes/${codeId}/verifications`, { token: provider.token, json: { codeSha512: codeSha512(actId, code) } });
    for (let i = 0; i < 100; i++) {
      const found = await call(server, 'POST', PATH, { json: { documentHash: sha256(document), altcha: await solvedCaptcha(server) } });
      if (found.body?.authorized) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    headAfterSetup = await logHead(server);
  });
  afterAll(() => stopHostileServer(server));

  const lookup = (options: CallOptions) => call(server, 'POST', PATH, options);
  const challenge = async () => (await call(server, 'GET', '/api/v1/public/captcha')).body as { algorithm: string; challenge: string; maxnumber: number; salt: string; signature: string };
  /** The solved captcha's JSON, to tamper with. */
  const solution = async () => JSON.parse(Buffer.from(await solvedCaptcha(server), 'base64').toString()) as Record<string, unknown>;
  /** A challenge signed with `hmacKey` (the ledger's own when given it), solved. */
  const selfSigned = async (hmacKey: string, expires?: Date) => solve(await createChallenge({ algorithm: 'SHA-256', hmacKey, maxnumber: 1000, ...(expires ? { expires } : {}) }) as Parameters<typeof solve>[0]);
  const captchaRefused = (a: Answer, label: string) => expectProblem(a, 400, 'captcha-invalid', label);

  it('finds the authorized document with a solved captcha (control)', async () => {
    const a = await lookup({ json: { documentHash: sha256(document), altcha: await solvedCaptcha(server) } });
    expect(a.status, describeAnswer(a)).toBe(200);
    expect(a.body).toMatchObject({ documentHash: sha256(document), authorized: true });
  });

  it('accepts a challenge it signed itself with its key (control for the crafted captchas below)', async () => {
    const a = await lookup({ json: { documentHash: sha256(document), altcha: await selfSigned(ledgerCaptchaKey(server), new Date(Date.now() + 120_000)) } });
    expect(a.status, describeAnswer(a)).toBe(200);
  });

  describe('JSON: missing, forged, replayed and expired captchas are captcha-invalid', () => {
    const cases: Array<[string, () => Promise<string | undefined>]> = [
      ['no altcha', async () => undefined],
      ['an empty altcha', async () => ''],
      ['an altcha that is not base64', async () => '!!! not base64 !!!'],
      ['base64 of text that is not JSON', async () => b64('not json')],
      ['base64 of null', async () => b64('null')],
      ['base64 of an array', async () => b64([1, 2, 3])],
      ['base64 of an empty object', async () => b64({})],
      ['a forged signature', async () => b64({ ...(await solution()), signature: randomBytes(32).toString('hex') })],
      ['the signature of another challenge', async () => b64({ ...(await solution()), signature: (await challenge()).signature })],
      ['a challenge signed with an attacker key', async () => selfSigned('attacker-key')],
      ['a wrong number', async () => {
        const s = await solution();
        return b64({ ...s, number: Number(s.number) + 1 });
      }],
      ['the number as a string', async () => {
        const s = await solution();
        return b64({ ...s, number: String(s.number) });
      }],
      ['a negative number', async () => b64({ ...(await solution()), number: -1 })],
      ['a fractional number', async () => b64({ ...(await solution()), number: 1.5 })],
      ['a huge number', async () => b64({ ...(await solution()), number: 1e300 })],
      ['algorithm SHA-1', async () => b64({ ...(await solution()), algorithm: 'SHA-1' })],
      ['a salt whose expiry was moved', async () => {
        const s = await solution();
        return b64({ ...s, salt: String(s.salt).replace(/expires=\d+/, 'expires=99999999999') });
      }],
      ['an unsolved challenge', async () => b64({ ...(await challenge()), number: 0 })],
      ['an expired challenge, signed with the ledger key', async () => selfSigned(ledgerCaptchaKey(server), new Date(Date.now() - 60_000))],
      ['a challenge without expiry, signed with the ledger key', async () => selfSigned(ledgerCaptchaKey(server))],
    ];
    it.each(cases)('refuses %s', async (label, make) => {
      const altcha = await make();
      const a = await lookup({ json: { documentHash: sha256(document), ...(altcha !== undefined ? { altcha } : {}) } });
      captchaRefused(a, label);
      expect(a.text).not.toContain('"authorized"');
    });

    it('spends a captcha once: the same solution a second time is refused', async () => {
      const altcha = await solvedCaptcha(server);
      expect((await lookup({ json: { documentHash: sha256(document), altcha } })).status).toBe(200);
      captchaRefused(await lookup({ json: { documentHash: sha256(document), altcha } }), 'replay');
    });

    it('spends a captcha once when one solution is sent 10 times at once', async () => {
      const altcha = await solvedCaptcha(server);
      const answers = await Promise.all(times(10).map(() => lookup({ json: { documentHash: sha256(document), altcha } })));
      for (const a of answers) expectNo5xx(a, 'parallel captcha');
      expect(answers.filter((a) => a.status === 200), answers.map(describeAnswer).join('\n')).toHaveLength(1);
      for (const a of answers.filter((x) => x.status !== 200)) captchaRefused(a, 'parallel captcha');
    });

    it('refuses in a multipart upload a captcha spent on a JSON lookup', async () => {
      const altcha = await solvedCaptcha(server);
      expect((await lookup({ json: { documentHash: sha256(document), altcha } })).status).toBe(200);
      const { payload, headers } = multipartBody([{ name: 'altcha', value: altcha }, { name: 'file', file: document }]);
      captchaRefused(await lookup({ raw: payload, headers }), 'replay across JSON and multipart');
    });
  });

  describe('JSON: bodies of the wrong shape', () => {
    const cases: Array<[string, () => Promise<CallOptions>, number | number[], Parameters<typeof expectProblem>[2]]> = [
      ['an altcha of 4097 characters', async () => ({ json: { documentHash: sha256(document), altcha: 'a'.repeat(4097) } }), 400, ['invalid-request', 'captcha-invalid']],
      ['an altcha object', async () => ({ json: { documentHash: sha256(document), altcha: await solution() } }), 400, ['invalid-request', 'captcha-invalid']],
      ['a solved altcha in an array (no coercion)', async () => ({ json: { documentHash: sha256(document), altcha: [await solvedCaptcha(server)] } }), 400, ['invalid-request', 'captcha-invalid']],
      ['an altcha number', async () => ({ json: { documentHash: sha256(document), altcha: 12345 } }), 400, ['invalid-request', 'captcha-invalid']],
      ['documentHash missing', async () => ({ json: { altcha: await solvedCaptcha(server) } }), 400, 'invalid-document-hash'],
      ['documentHash of 63 characters', async () => ({ json: { documentHash: sha256(document).slice(1), altcha: await solvedCaptcha(server) } }), 400, 'invalid-document-hash'],
      ['documentHash as a number', async () => ({ json: { documentHash: 1234, altcha: await solvedCaptcha(server) } }), 400, 'invalid-document-hash'],
      ['documentHash in an array', async () => ({ json: { documentHash: [sha256(document)], altcha: await solvedCaptcha(server) } }), 400, 'invalid-document-hash'],
      ['an extra property', async () => ({ json: { documentHash: sha256(document), altcha: await solvedCaptcha(server), acts: [] } }), 400, 'invalid-request'],
      ['invalid JSON', async () => ({ raw: '{"documentHash":', headers: { 'content-type': 'application/json' } }), 400, 'invalid-request'],
      ['an empty JSON body', async () => ({ raw: '', headers: { 'content-type': 'application/json' } }), 400, 'invalid-request'],
      ['__proto__ in the body', async () => ({ raw: `{"documentHash":"${sha256(document)}","__proto__":{"authorized":true}}`, headers: { 'content-type': 'application/json' } }), 400, 'invalid-request'],
      ['a text/plain body', async () => ({ raw: JSON.stringify({ documentHash: sha256(document), altcha: await solvedCaptcha(server) }), headers: { 'content-type': 'text/plain' } }), 415, 'unsupported-media-type'],
      ['a form body with a solved captcha and a hash', async () => ({ raw: new URLSearchParams({ documentHash: sha256(document), altcha: await solvedCaptcha(server) }), headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415, 'unsupported-media-type'],
      ['a form body with a solved captcha and no hash', async () => ({ raw: new URLSearchParams({ altcha: await solvedCaptcha(server) }), headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415, 'unsupported-media-type'],
      ['an XML body', async () => ({ raw: '<hash/>', headers: { 'content-type': 'application/xml' } }), 415, 'unsupported-media-type'],
      ['a multipart/mixed body', async () => ({ raw: '--b\r\n\r\nx\r\n--b--\r\n', headers: { 'content-type': 'multipart/mixed; boundary=b' } }), 415, 'unsupported-media-type'],
    ];
    it.each(cases)('refuses %s', async (label, make, status, types) => {
      expectProblem(await lookup(await make()), status, types, label);
    });

    it('accepts an upper-case hash and answers it in lower case', async () => {
      const a = await lookup({ json: { documentHash: sha256(document).toUpperCase(), altcha: await solvedCaptcha(server) } });
      expect(a.status, describeAnswer(a)).toBe(200);
      expect(a.body).toMatchObject({ documentHash: sha256(document), authorized: true });
    });
  });

  describe('multipart uploads', () => {
    const multipart = (raw: string | Buffer, contentType: string) => lookup({ raw, headers: { 'content-type': contentType } });

    it('hashes an uploaded file with the captcha before or after it (control)', async () => {
      for (const order of ['captcha first', 'file first'] as const) {
        const altcha = await solvedCaptcha(server);
        const parts = order === 'captcha first' ? [{ name: 'altcha', value: altcha }, { name: 'file', file: document }] : [{ name: 'file', file: document }, { name: 'altcha', value: altcha }];
        const { payload, headers } = multipartBody(parts);
        const a = await lookup({ raw: payload, headers });
        expect(a.status, `${order}: ${describeAnswer(a)}`).toBe(200);
        expect(a.body).toMatchObject({ documentHash: sha256(document), authorized: true });
      }
    });

    it.each([
      ['a traversal in the filename', '../../../../etc/passwd'],
      ['quotes and a semicolon in the filename', 'a";b=c.pdf'],
      ['a very long filename', `${'f'.repeat(3000)}.pdf`],
    ])('hashes a file with %s without a 5xx', async (label, filename) => {
      const { payload, headers } = multipartBody([{ name: 'altcha', value: await solvedCaptcha(server) }, { name: 'file', file: document, filename }]);
      const a = await lookup({ raw: payload, headers });
      expectNo5xx(a, label);
      if (a.status === 200) expect(a.body).toMatchObject({ documentHash: sha256(document) });
      else expectProblem(a, [400, 413], ['invalid-request', 'payload-too-large'], label);
    });

    const malformed: Array<[string, () => Promise<[string | Buffer, string]>]> = [
      ['multipart without a boundary', async () => ['--x\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nabc\r\n--x--\r\n', 'multipart/form-data']],
      ['an empty boundary', async () => ['----\r\n\r\n', 'multipart/form-data; boundary=']],
      ['a boundary the body does not use', async () => [`--other\r\nContent-Disposition: form-data; name="altcha"\r\n\r\n${await solvedCaptcha(server)}\r\n--other--\r\n`, 'multipart/form-data; boundary=declared']],
      ['a body cut off inside the file', async () => [`--b\r\nContent-Disposition: form-data; name="altcha"\r\n\r\n${await solvedCaptcha(server)}\r\n--b\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\nstart of the file`, 'multipart/form-data; boundary=b']],
      ['a body cut off inside the part headers', async () => ['--b\r\nContent-Disposition: form-da', 'multipart/form-data; boundary=b']],
      ['a part without Content-Disposition', async () => ['--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b--\r\n', 'multipart/form-data; boundary=b']],
      ['garbage bytes', async () => [randomBytes(3000), 'multipart/form-data; boundary=b']],
      ['an empty body', async () => ['', 'multipart/form-data; boundary=b']],
      ['only the closing boundary', async () => ['--b--\r\n', 'multipart/form-data; boundary=b']],
      ['a boundary of 200 characters', async () => {
        const boundary = 'b'.repeat(200);
        return [`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nabc\r\n--${boundary}--\r\n`, `multipart/form-data; boundary=${boundary}`];
      }],
    ];
    it.each(malformed)('refuses %s with a 4xx problem', async (label, make) => {
      const [raw, type] = await make();
      const a = await multipart(raw, type);
      expectProblem(a, 400, ['invalid-request', 'captcha-invalid'], label);
    });

    const wrongFields: Array<[string, () => Promise<Parameters<typeof multipartBody>[0]>, Parameters<typeof expectProblem>[2]]> = [
      ['no altcha field', async () => [{ name: 'file', file: document }], 'captcha-invalid'],
      ['a forged altcha field', async () => [{ name: 'altcha', value: b64({ ...(await solution()), signature: 'ab'.repeat(32) }) }, { name: 'file', file: document }], 'captcha-invalid'],
      ['the captcha in a field named captcha', async () => [{ name: 'captcha', value: await solvedCaptcha(server) }, { name: 'file', file: document }], 'captcha-invalid'],
      ['the file in a field named document', async () => [{ name: 'altcha', value: await solvedCaptcha(server) }, { name: 'document', file: document }], ['invalid-request', 'captcha-invalid']],
      ['the file sent as a plain field', async () => [{ name: 'altcha', value: await solvedCaptcha(server) }, { name: 'file', value: document.toString('latin1') }], ['invalid-request', 'captcha-invalid']],
      ['no file at all', async () => [{ name: 'altcha', value: await solvedCaptcha(server) }], ['invalid-request', 'captcha-invalid']],
      ['a documentHash field instead of a file', async () => [{ name: 'altcha', value: await solvedCaptcha(server) }, { name: 'documentHash', value: sha256(document) }], ['invalid-request', 'captcha-invalid']],
      ['two altcha fields, the first forged', async () => [{ name: 'altcha', value: 'forged' }, { name: 'altcha', value: 'forged-too' }, { name: 'file', file: document }], 'captcha-invalid'],
    ];
    it.each(wrongFields)('refuses %s', async (label, make, types) => {
      const { payload, headers } = multipartBody(await make());
      expectProblem(await lookup({ raw: payload, headers }), 400, types, label);
    });

    it.each([
      ['two files', async () => [{ name: 'altcha', value: await solvedCaptcha(server) }, { name: 'file', file: document }, { name: 'file', file: document }]],
      ['too many fields', async () => [{ name: 'altcha', value: await solvedCaptcha(server) }, ...times(8).map((i) => ({ name: `f${i}`, value: 'x' })), { name: 'file', file: document }]],
      ['an altcha field over the field size limit', async () => [{ name: 'altcha', value: 'a'.repeat(10_000) }, { name: 'file', file: document }]],
      ['too many parts', async () => [{ name: 'altcha', value: await solvedCaptcha(server) }, ...times(10).map((i) => ({ name: `file${i}`, file: Buffer.from('x') }))]],
    ] as Array<[string, () => Promise<Parameters<typeof multipartBody>[0]>]>)('refuses %s with a 4xx problem', async (label, make) => {
      const { payload, headers } = multipartBody(await make());
      expectProblem(await lookup({ raw: payload, headers }), [400, 413], ['invalid-request', 'payload-too-large', 'captcha-invalid'], label);
    });

    it.each([
      ['a file one byte over the limit', UPLOAD_LIMIT + 1],
      ['a file twice the limit (declared length within the framing allowance)', UPLOAD_LIMIT * 2 - 1024],
      ['a file of 1 MB (declared length over the limit)', 1024 * 1024],
    ])('refuses %s with 413 payload-too-large', async (label, size) => {
      const { payload, headers } = multipartBody([{ name: 'altcha', value: await solvedCaptcha(server) }, { name: 'file', file: Buffer.alloc(size, 7) }]);
      expectProblem(await lookup({ raw: payload, headers }), 413, 'payload-too-large', label);
    });

    it('refuses an oversized file sent without Content-Length (chunked) with 413', async () => {
      const { payload, headers } = multipartBody([{ name: 'altcha', value: await solvedCaptcha(server) }, { name: 'file', file: Buffer.alloc(UPLOAD_LIMIT * 3, 1) }]);
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < payload.length; i += 16_384) controller.enqueue(payload.subarray(i, i + 16_384));
          controller.close();
        },
      });
      const res = await fetch(`${server.url}${PATH}`, { method: 'POST', headers, body, duplex: 'half' } as RequestInit & { duplex: 'half' });
      const text = await res.text();
      const a: Answer = { status: res.status, headers: res.headers, text, body: JSON.parse(text) as Record<string, unknown> };
      expectProblem(a, 413, 'payload-too-large', 'chunked oversized upload');
    });

    it('accepts a file exactly at the limit', async () => {
      const file = Buffer.alloc(UPLOAD_LIMIT, 3);
      const { payload, headers } = multipartBody([{ name: 'altcha', value: await solvedCaptcha(server) }, { name: 'file', file }]);
      const a = await lookup({ raw: payload, headers });
      expect(a.status, describeAnswer(a)).toBe(200);
      expect(a.body).toMatchObject({ documentHash: sha256(file), authorized: false });
    });
  });

  it('refuses POST on the captcha route and other methods on the verification route', async () => {
    expectProblem(await call(server, 'POST', '/api/v1/public/captcha', { json: {} }), [404, 405], ['not-found', 'method-not-allowed'], 'POST captcha');
    expectProblem(await call(server, 'PUT', PATH, { json: {} }), [404, 405], ['not-found', 'method-not-allowed'], 'PUT verifications');
  });

  it('wrote nothing to the log for any public request', async () => {
    expect(await logHead(server)).toBe(headAfterSetup);
  });

  it('kept serving and logged no unhandled error', async () => {
    await expectServing(server);
    expect(unhandledErrorLines(server)).toEqual([]);
  });
});
