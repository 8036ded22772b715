/**
 * Hostile input, surface 2: the provider API (POST /api/v1/acts, codes and their verifications)
 * with wrong types, sizes, Unicode edge cases, hostile JSON and wrong media types. Every refusal
 * must leave the log head and the act it aimed at unchanged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProblemName } from '../../src/http/problems.ts';
import {
  JANA,
  PETR,
  call,
  describeAnswer,
  expectProblem,
  expectServing,
  getAct,
  issueCode,
  lastCode,
  logHead,
  providerWithToken,
  randomHash,
  rawExchange,
  requestHead,
  seppOf,
  startHostileServer,
  stopHostileServer,
  unhandledErrorLines,
  type Answer,
  type CallOptions,
  type Provider,
  type RunningServer,
} from './support.ts';

const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

describe('hostile: provider API input', () => {
  let server: RunningServer;
  let provider: Provider;
  let other: Provider;
  let sepp: string;
  let otherSepp: string;
  /** A pending act of `provider` with one code issued: what the code routes aim at. */
  let actId: string;
  let codeId: string;
  let otherActId: string;

  beforeAll(async () => {
    server = await startHostileServer({ LEDGER_CODE_SENDS_PER_HOUR: '1000' });
    provider = await providerWithToken(server, { name: 'Input target' });
    other = await providerWithToken(server, { name: 'Other provider' });
    sepp = await seppOf(server, JANA, provider.providerId);
    otherSepp = await seppOf(server, JANA, other.providerId);
    actId = String((await call(server, 'POST', '/api/v1/acts', { token: provider.token, json: { sepp, documentHash: randomHash(), name: 'Target act' } })).body!.actId);
    ({ codeId } = await issueCode(server, provider.token, actId, JANA));
    otherActId = String((await call(server, 'POST', '/api/v1/acts', { token: other.token, json: { sepp: otherSepp, documentHash: randomHash(), name: 'Other act' } })).body!.actId);
  });
  afterAll(() => stopHostileServer(server));

  const valid = () => ({ sepp, documentHash: randomHash(), name: 'Contract', description: 'Lease' });

  /** Sends a request that must be refused, and checks the log head and the target act did not move. */
  const refusedWithoutTrace = async (send: () => Promise<Answer>): Promise<Answer> => {
    const head = await logHead(server);
    const before = await getAct(server, provider.token, actId);
    const answer = await send();
    expect(await logHead(server), `log head moved after ${describeAnswer(answer)}`).toBe(head);
    expect(await getAct(server, provider.token, actId)).toEqual(before);
    return answer;
  };
  const postActs = (options: CallOptions) => call(server, 'POST', '/api/v1/acts', { token: provider.token, ...options });

  describe('POST /api/v1/acts: wrong JSON types are refused, never coerced', () => {
    const cases: Array<[string, (v: ReturnType<typeof valid>) => unknown, ProblemName]> = [
      ['name: 123', (v) => ({ ...v, name: 123 }), 'invalid-act-name'],
      ['name: true', (v) => ({ ...v, name: true }), 'invalid-act-name'],
      ['name: ["x"]', (v) => ({ ...v, name: ['x'] }), 'invalid-act-name'],
      ['name: null', (v) => ({ ...v, name: null }), 'invalid-act-name'],
      ['name: {}', (v) => ({ ...v, name: {} }), 'invalid-act-name'],
      ['name: 0', (v) => ({ ...v, name: 0 }), 'invalid-act-name'],
      ['name missing', ({ name: _n, ...v }) => v, 'invalid-act-name'],
      ['loa: ["high"]', (v) => ({ ...v, loa: ['high'] }), 'invalid-loa'],
      ['loa: "HIGH"', (v) => ({ ...v, loa: 'HIGH' }), 'invalid-loa'],
      ['loa: "high " (trailing space)', (v) => ({ ...v, loa: 'high ' }), 'invalid-loa'],
      ['loa: 3', (v) => ({ ...v, loa: 3 }), 'invalid-loa'],
      ['loa: null', (v) => ({ ...v, loa: null }), 'invalid-loa'],
      ['loa: "extreme"', (v) => ({ ...v, loa: 'extreme' }), 'invalid-loa'],
      ['documentHash: a number', (v) => ({ ...v, documentHash: 1234567890 }), 'invalid-document-hash'],
      ['documentHash: a 64-digit number', (v) => ({ ...v, documentHash: Number('1'.repeat(64)) }), 'invalid-document-hash'],
      ['documentHash: upper case', (v) => ({ ...v, documentHash: v.documentHash.toUpperCase() }), 'invalid-document-hash'],
      ['documentHash: 63 characters', (v) => ({ ...v, documentHash: v.documentHash.slice(1) }), 'invalid-document-hash'],
      ['documentHash: 65 characters', (v) => ({ ...v, documentHash: `${v.documentHash}a` }), 'invalid-document-hash'],
      ['documentHash: with a trailing newline', (v) => ({ ...v, documentHash: `${v.documentHash}\n` }), 'invalid-document-hash'],
      ['documentHash: in an array', (v) => ({ ...v, documentHash: [v.documentHash] }), 'invalid-document-hash'],
      ['documentHash: full-width digits', (v) => ({ ...v, documentHash: '０'.repeat(64) }), 'invalid-document-hash'],
      ['documentHash: base64 instead of hex', (v) => ({ ...v, documentHash: Buffer.from(v.documentHash, 'hex').toString('base64') }), 'invalid-document-hash'],
      ['documentHash missing', ({ documentHash: _d, ...v }) => v, 'invalid-document-hash'],
      ['sepp: a number', (v) => ({ ...v, sepp: 12345 }), 'invalid-sepp'],
      ['sepp: in an array', (v) => ({ ...v, sepp: [v.sepp] }), 'invalid-sepp'],
      ['sepp: empty', (v) => ({ ...v, sepp: '' }), 'invalid-sepp'],
      ['sepp: 201 characters', (v) => ({ ...v, sepp: 's'.repeat(201) }), 'invalid-sepp'],
      ['sepp missing', ({ sepp: _s, ...v }) => v, 'invalid-sepp'],
      ['description: 123', (v) => ({ ...v, description: 123 }), 'invalid-act-description'],
      ['description: null', (v) => ({ ...v, description: null }), 'invalid-act-description'],
      ['description: ["d"]', (v) => ({ ...v, description: ['d'] }), 'invalid-act-description'],
      ['description: false', (v) => ({ ...v, description: false }), 'invalid-act-description'],
    ];
    it.each(cases)('refuses %s (400 %s)', async (label, make, type) => {
      const a = await refusedWithoutTrace(() => postActs({ json: make(valid()) }));
      expectProblem(a, 400, type, label);
    });
  });

  describe('POST /api/v1/acts: sizes', () => {
    const cases: Array<[string, (v: ReturnType<typeof valid>) => unknown, ProblemName]> = [
      ['a name of 101 characters', (v) => ({ ...v, name: 'n'.repeat(101) }), 'invalid-act-name'],
      ['a name of 201 characters', (v) => ({ ...v, name: 'n'.repeat(201) }), 'invalid-act-name'],
      ['a name of 101 astral characters', (v) => ({ ...v, name: '😀'.repeat(101) }), 'invalid-act-name'],
      ['an empty name', (v) => ({ ...v, name: '' }), 'invalid-act-name'],
      ['a blank name', (v) => ({ ...v, name: '   ' }), 'invalid-act-name'],
      ['a description of 301 characters', (v) => ({ ...v, description: 'd'.repeat(301) }), 'invalid-act-description'],
      ['a description of 3000 characters', (v) => ({ ...v, description: 'd'.repeat(3000) }), 'invalid-act-description'],
    ];
    it.each(cases)('refuses %s (400 %s)', async (label, make, type) => {
      expectProblem(await refusedWithoutTrace(() => postActs({ json: make(valid()) })), 400, type, label);
    });

    it('refuses a body larger than the body limit with 413 payload-too-large', async () => {
      const a = await refusedWithoutTrace(() => postActs({ json: { ...valid(), description: 'x'.repeat(200_000) } }));
      expectProblem(a, 413, 'payload-too-large', 'huge body');
    });

    it('refuses a declared 5 MB body with 413 payload-too-large before reading it', async () => {
      const head = await logHead(server);
      const r = await rawExchange(server, `${requestHead(server, 'POST', '/api/v1/acts', { Authorization: `Bearer ${provider.token}`, 'Content-Type': 'application/json', 'Content-Length': String(5 * 1024 * 1024) })}{"name":"xxxx`, {
        until: (raw) => /\r\n\r\n[\s\S]*\}/.test(raw),
      });
      expect(r.status, r.raw.slice(0, 300)).toBe(413);
      expect(r.raw).toMatch(/content-type: application\/problem\+json/i);
      expect(r.raw).toContain('urn:problem:act-ledger:payload-too-large');
      expect(await logHead(server)).toBe(head);
    });
  });

  describe('POST /api/v1/acts: Unicode in the name and description', () => {
    const control: Array<[string, string]> = [
      ['NUL', '\u0000'],
      ['NUL inside', 'Con\u0000tract'],
      ['BEL', 'Contract\u0007'],
      ['an ANSI escape', '\u001b[31mContract'],
      ['DEL', 'Contract\u007f'],
      ['NEL (C1)', 'Con\u0085tract'],
      ['CSI (C1)', '\u009b2JContract'],
      ['a newline', 'line\nbreak'],
      ['a carriage return', 'Con\rtract'],
      ['a tab', 'Con\ttract'],
      ['a lone high surrogate', 'Con\ud800tract'],
      ['a lone low surrogate', '\udc00Contract'],
    ];
    it.each(control)('refuses a name with %s (invalid-act-name)', async (label, name) => {
      expectProblem(await refusedWithoutTrace(() => postActs({ json: { ...valid(), name } })), 400, 'invalid-act-name', label);
    });

    const invisible: Array<[string, string]> = [
      ['U+200B zero width space', '\u200b'],
      ['three U+200B', '\u200b\u200b\u200b'],
      ['U+FEFF byte order mark', '\ufeff'],
      ['U+200C zero width non-joiner', '\u200c'],
      ['U+200D zero width joiner', '\u200d'],
      ['U+2060 word joiner', '\u2060'],
      ['U+00AD soft hyphen', '\u00ad'],
      ['U+180E Mongolian vowel separator', '\u180e'],
      ['U+2062 invisible times', '\u2062'],
      ['U+034F combining grapheme joiner', '\u034f'],
      ['U+3164 Hangul filler', '\u3164'],
      ['U+115F Hangul choseong filler', '\u115f'],
      ['U+2800 Braille blank', '\u2800'],
      ['U+00A0 no-break space', '\u00a0'],
      ['U+3000 ideographic space', '\u3000'],
      ['U+2028 line separator', '\u2028'],
      ['spaces around U+200B', ' \u200b '],
      ['a mix of format characters', '\u200b\ufeff\u2060\u200d'],
      ['tag characters (U+E0041 U+E0042)', '\u{E0041}\u{E0042}'],
      ['U+FE0F variation selector alone', '\ufe0f'],
      ['U+2061 function application', '\u2061'],
    ];
    it.each(invisible)('refuses a name made only of %s (invalid-act-name)', async (label, name) => {
      expectProblem(await refusedWithoutTrace(() => postActs({ json: { ...valid(), name } })), 400, 'invalid-act-name', label);
    });

    const bidi: Array<[string, string]> = [
      ['U+202A LRE', '\u202a'],
      ['U+202B RLE', '\u202b'],
      ['U+202C PDF', '\u202c'],
      ['U+202D LRO', '\u202d'],
      ['U+202E RLO', '\u202e'],
      ['U+2066 LRI', '\u2066'],
      ['U+2067 RLI', '\u2067'],
      ['U+2068 FSI', '\u2068'],
      ['U+2069 PDI', '\u2069'],
    ];
    it.each(bidi)('refuses a name with the bidi control %s (invalid-act-name)', async (label, ch) => {
      expectProblem(await refusedWithoutTrace(() => postActs({ json: { ...valid(), name: `Invoice ${ch}fdp.exe` } })), 400, 'invalid-act-name', label);
    });
    it.each([bidi[4]!, bidi[6]!])('refuses a description with the bidi control %s (invalid-act-description)', async (label, ch) => {
      expectProblem(await refusedWithoutTrace(() => postActs({ json: { ...valid(), description: `Total 100 ${ch}000 CZK` } })), 400, 'invalid-act-description', label);
    });
    it.each(control.slice(0, 4))('refuses a description with %s (invalid-act-description)', async (label, ch) => {
      expectProblem(await refusedWithoutTrace(() => postActs({ json: { ...valid(), description: `Lease ${ch} 2026` } })), 400, 'invalid-act-description', label);
    });

    const accepted: Array<[string, string, string?]> = [
      ['Czech diacritics and a dash', 'Smlouva o dílo č. 5 – ř ž ů'],
      ['100 astral characters (counted as code points)', '😀'.repeat(100)],
      ['Arabic (right-to-left without overrides)', 'عقد إيجار'],
      ['Hebrew with a left-to-right mark inside', 'חוזה\u200e 5'],
      ['an emoji ZWJ sequence inside visible text', '👩\u200d💻 contract'],
      ['a no-break space inside visible text', 'Contract\u00a0No. 5'],
      ['one character', 'A'],
      ['exactly 100 characters', 'n'.repeat(100)],
      ['a description of 300 astral characters', 'Contract', '😀'.repeat(300)],
    ];
    it.each(accepted)('accepts %s', async (label, name, description) => {
      const a = await postActs({ json: { ...valid(), name, ...(description !== undefined ? { description } : {}) } });
      expect(a.status, `${label}: ${describeAnswer(a)}`).toBe(201);
    });

    it('stores the name trimmed, as the SMS text shows it', async () => {
      const a = await postActs({ json: { ...valid(), name: '   Lease of flat 12   ' } });
      expect(a.status, describeAnswer(a)).toBe(201);
      await issueCode(server, provider.token, String(a.body!.actId), JANA);
      const outbox = await call(server, 'GET', `/api/v1/simulator/outbox?aifo=${JANA}`, { token: server.adminToken });
      const text = (outbox.body!.messages as Array<{ text: string }>).at(-1)!.text;
      // Jana is a domestic person: her text is Czech, the act's name in Czech quotation marks, trimmed.
      expect(text).toContain('„Lease of flat 12“');
      expect(await lastCode(server, JANA)).toMatch(/^\d{6}$/);
    });
  });

  describe('POST /api/v1/acts: hostile JSON', () => {
    const deepArray = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
    const deepObject = (depth: number, inner = '1') => `${'{"a":'.repeat(depth)}${inner}${'}'.repeat(depth)}`;
    const withRaw = (v: ReturnType<typeof valid>, extra: string) => `{"sepp":${JSON.stringify(v.sepp)},"documentHash":"${v.documentHash}","name":"Contract"${extra}}`;
    const cases: Array<[string, (v: ReturnType<typeof valid>) => string, ProblemName[]]> = [
      ['invalid JSON', () => '{"sepp":', ['invalid-request']],
      ['trailing garbage after the object', (v) => `${JSON.stringify(v)} x`, ['invalid-request']],
      ['two JSON objects', (v) => `${JSON.stringify(v)}${JSON.stringify(v)}`, ['invalid-request']],
      ['a single quote JSON-ish body', () => "{'name':'x'}", ['invalid-request']],
      ['a JSON array', (v) => JSON.stringify([v]), ['invalid-request']],
      ['JSON null', () => 'null', ['invalid-request']],
      ['a JSON string', () => '"Contract"', ['invalid-request']],
      ['a JSON number', () => '123', ['invalid-request']],
      ['an empty body', () => '', ['invalid-request']],
      ['whitespace only', () => '   \n ', ['invalid-request']],
      ['an extra property', (v) => JSON.stringify({ ...v, status: 'authorized' }), ['invalid-request']],
      ['an extra property "prototype"', (v) => JSON.stringify({ ...v, prototype: { admin: true } }), ['invalid-request']],
      ['an extra property "constructor" (string)', (v) => JSON.stringify({ ...v, constructor: 'x' }), ['invalid-request']],
      ['__proto__ at the top level', (v) => withRaw(v, ',"__proto__":{"status":"authorized"}'), ['invalid-request']],
      ['__proto__ as the name', (v) => `{"sepp":${JSON.stringify(v.sepp)},"documentHash":"${v.documentHash}","name":{"__proto__":{"x":1}}}`, ['invalid-request', 'invalid-act-name']],
      ['constructor.prototype at the top level', (v) => withRaw(v, ',"constructor":{"prototype":{"admin":true}}'), ['invalid-request']],
      ['an array nested 20 000 deep', (v) => withRaw(v, `,"extra":${deepArray(20_000)}`), ['invalid-request']],
      ['an object nested 9 000 deep', (v) => withRaw(v, `,"extra":${deepObject(9_000)}`), ['invalid-request']],
      ['an object nested 9 000 deep with __proto__ at the bottom', (v) => withRaw(v, `,"extra":${deepObject(9_000, '{"__proto__":{"x":1}}')}`), ['invalid-request']],
      ['a name nested 9 000 deep', (v) => `{"sepp":${JSON.stringify(v.sepp)},"documentHash":"${v.documentHash}","name":${deepObject(9_000)}}`, ['invalid-request', 'invalid-act-name']],
      ['duplicate name keys, the last one too long', (v) => withRaw(v, `,"name":"${'n'.repeat(101)}"`), ['invalid-act-name', 'invalid-request']],
      ['duplicate documentHash keys with different values', (v) => withRaw(v, `,"documentHash":"${randomHash()}"`), ['invalid-request']],
      ['duplicate sepp keys (another provider\'s SePP second)', (v) => withRaw(v, `,"sepp":${JSON.stringify(otherSepp)}`), ['invalid-request', 'sepp-unknown']],
    ];
    it.each(cases)('refuses %s', async (label, make, types) => {
      const a = await refusedWithoutTrace(() => postActs({ raw: make(valid()), headers: { 'content-type': 'application/json' } }));
      const statuses = types.map((t) => (t === 'sepp-unknown' ? 422 : 400));
      expectProblem(a, statuses, types, label);
    });
  });

  describe('POST /api/v1/acts: media types other than JSON answer 415', () => {
    const cases: Array<[string, string, (v: ReturnType<typeof valid>) => string | Buffer]> = [
      ['text/plain', 'text/plain', (v) => JSON.stringify(v)],
      ['text/plain; charset=utf-8', 'text/plain; charset=utf-8', (v) => JSON.stringify(v)],
      ['application/x-www-form-urlencoded', 'application/x-www-form-urlencoded', (v) => new URLSearchParams(v as Record<string, string>).toString()],
      ['multipart/form-data', 'multipart/form-data; boundary=b', (v) => `--b\r\nContent-Disposition: form-data; name="name"\r\n\r\n${v.name}\r\n--b--\r\n`],
      ['application/xml', 'application/xml', () => '<act><name>x</name></act>'],
      ['application/octet-stream', 'application/octet-stream', (v) => Buffer.from(JSON.stringify(v))],
      ['application/vnd.api+json', 'application/vnd.api+json', (v) => JSON.stringify(v)],
      ['application/jsonx (prefix of application/json)', 'application/jsonx', (v) => JSON.stringify(v)],
      ['a made-up type', 'hostile/type', (v) => JSON.stringify(v)],
    ];
    it.each(cases)('refuses a %s body with 415 unsupported-media-type', async (label, type, make) => {
      const a = await refusedWithoutTrace(() => postActs({ raw: make(valid()), headers: { 'content-type': type } }));
      expectProblem(a, 415, 'unsupported-media-type', label);
    });

    it('refuses a body without a Content-Type (415, or 400 invalid-request)', async () => {
      const a = await refusedWithoutTrace(() => postActs({ raw: Buffer.from(JSON.stringify(valid())) }));
      expectProblem(a, [415, 400], ['unsupported-media-type', 'invalid-request'], 'no content type');
    });
  });

  describe('POST /api/v1/acts: headers and identities', () => {
    it.each([
      ['with a space', 'has space'],
      ['of 201 characters', 'k'.repeat(201)],
      ['empty', ''],
      ['with a Latin-1 letter', 'klíč'],
      ['with a tab', 'a\tb'],
    ])('refuses an Idempotency-Key %s (400 invalid-idempotency-key)', async (label, key) => {
      const headers = { 'idempotency-key': Buffer.from(key, 'utf8').toString('latin1') };
      const a = await refusedWithoutTrace(() => postActs({ json: valid(), headers }));
      expectProblem(a, 400, 'invalid-idempotency-key', label);
    });

    it('refuses a SePP this provider does not know (422 sepp-unknown)', async () => {
      expectProblem(await refusedWithoutTrace(() => postActs({ json: { ...valid(), sepp: 'not-a-known-bsi' } })), 422, 'sepp-unknown', 'unknown sepp');
    });

    it('refuses the SePP another provider knows the same citizen by (422 sepp-unknown)', async () => {
      expectProblem(await refusedWithoutTrace(() => postActs({ json: { ...valid(), sepp: otherSepp } })), 422, 'sepp-unknown', 'cross-provider sepp');
    });

    it('refuses the SePP of another test person in another provider\'s sector', async () => {
      const petrForOther = await seppOf(server, PETR, other.providerId);
      expectProblem(await refusedWithoutTrace(() => postActs({ json: { ...valid(), sepp: petrForOther } })), 422, 'sepp-unknown', 'cross-provider sepp');
    });
  });

  describe('provider routes authenticate before they read the body', () => {
    const routes = () => [
      ['POST /api/v1/acts', '/api/v1/acts'],
      ['POST /api/v1/acts/{id}/codes', `/api/v1/acts/${actId}/codes`],
      ['POST /api/v1/acts/{id}/codes/{codeId}/verifications', `/api/v1/acts/${actId}/codes/${codeId}/verifications`],
    ] as const;
    const bodies: Array<[string, CallOptions]> = [
      ['an empty object', { json: {} }],
      ['wrong types', { json: { sepp: 1, name: 2, channel: 3, codeSha512: 4 } }],
      ['invalid JSON', { raw: '{"x":', headers: { 'content-type': 'application/json' } }],
      ['a text/plain body', { raw: 'hello', headers: { 'content-type': 'text/plain' } }],
      ['a form body', { raw: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }],
    ];
    for (const [label, options] of bodies) {
      it(`answers ${label} without a token with 401 unauthorized on every provider write route`, async () => {
        for (const [route, path] of routes()) {
          const a = await refusedWithoutTrace(() => call(server, 'POST', path, options));
          expectProblem(a, 401, 'unauthorized', `${route} with ${label}`);
        }
      });
      it(`answers ${label} with the admin token with 401 invalid-token on every provider write route`, async () => {
        for (const [route, path] of routes()) {
          const a = await refusedWithoutTrace(() => call(server, 'POST', path, { ...options, token: server.adminToken }));
          expectProblem(a, 401, 'invalid-token', `${route} with ${label} and the admin token`);
        }
      });
    }
    it('answers an oversized body without a token with 401 (or 413), never 400', async () => {
      const a = await refusedWithoutTrace(() => call(server, 'POST', '/api/v1/acts', { json: { name: 'x'.repeat(200_000) } }));
      expectProblem(a, [401, 413], ['unauthorized', 'payload-too-large'], 'oversized without token');
    });
  });

  describe('POST /api/v1/acts/{actId}/codes: bad input', () => {
    const codes = (id: string, options: CallOptions) => call(server, 'POST', `/api/v1/acts/${id}/codes`, { token: provider.token, ...options });
    const cases: Array<[string, () => string, CallOptions, number, ProblemName]> = [
      ['channel: ["sms"] (no coercion)', () => actId, { json: { channel: ['sms'] } }, 400, 'invalid-channel'],
      ['channel: 1', () => actId, { json: { channel: 1 } }, 400, 'invalid-channel'],
      ['channel: true', () => actId, { json: { channel: true } }, 400, 'invalid-channel'],
      ['channel: "SMS"', () => actId, { json: { channel: 'SMS' } }, 400, 'invalid-channel'],
      ['channel: "pigeon"', () => actId, { json: { channel: 'pigeon' } }, 400, 'invalid-channel'],
      ['channel: null', () => actId, { json: { channel: null } }, 400, 'invalid-channel'],
      ['channel missing', () => actId, { json: {} }, 400, 'invalid-channel'],
      ['an extra property', () => actId, { json: { channel: 'sms', to: '+420777000000' } }, 400, 'invalid-request'],
      ['invalid JSON', () => actId, { raw: '{"channel":', headers: { 'content-type': 'application/json' } }, 400, 'invalid-request'],
      ['a text/plain body', () => actId, { raw: 'sms', headers: { 'content-type': 'text/plain' } }, 415, 'unsupported-media-type'],
      ['a form body', () => actId, { raw: 'channel=sms', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 415, 'unsupported-media-type'],
      ['an act id that is not a UUID', () => 'not-an-id', { json: { channel: 'sms' } }, 400, 'invalid-request'],
      ['an act id in upper case', () => actId.toUpperCase(), { json: { channel: 'sms' } }, 400, 'invalid-request'],
      ['an act id with a trailing newline', () => `${actId}%0A`, { json: { channel: 'sms' } }, 400, 'invalid-request'],
      ['an unknown act id', () => UNKNOWN_ID, { json: { channel: 'sms' } }, 404, 'not-found'],
      ['the act of another provider', () => otherActId, { json: { channel: 'sms' } }, 404, 'not-found'],
    ];
    it.each(cases)('refuses %s', async (label, id, options, status, type) => {
      expectProblem(await refusedWithoutTrace(() => codes(id(), options)), status, type, label);
    });

    it('does not reach another route through a traversal in the act id', async () => {
      const a = await refusedWithoutTrace(() => codes('..%2F..%2Fadmin%2Fproviders', { json: { channel: 'sms' } }));
      expectProblem(a, [400, 404], ['invalid-request', 'not-found'], 'traversal');
    });
  });

  describe('POST /api/v1/acts/{actId}/codes/{codeId}/verifications: bad input', () => {
    const verify = (aId: string, cId: string, options: CallOptions) =>
      call(server, 'POST', `/api/v1/acts/${aId}/codes/${cId}/verifications`, { token: provider.token, ...options });
    const hex = 'a'.repeat(128);
    const cases: Array<[string, () => [string, string], CallOptions, number, ProblemName[]]> = [
      ['codeSha512: a number', () => [actId, codeId], { json: { codeSha512: 123 } }, 400, ['invalid-code-hash']],
      ['codeSha512 in an array (no coercion)', () => [actId, codeId], { json: { codeSha512: [hex] } }, 400, ['invalid-code-hash']],
      ['codeSha512 in upper case', () => [actId, codeId], { json: { codeSha512: hex.toUpperCase() } }, 400, ['invalid-code-hash']],
      ['codeSha512 of 127 characters', () => [actId, codeId], { json: { codeSha512: hex.slice(1) } }, 400, ['invalid-code-hash']],
      ['codeSha512 of 129 characters', () => [actId, codeId], { json: { codeSha512: `${hex}a` } }, 400, ['invalid-code-hash']],
      ['codeSha512: null', () => [actId, codeId], { json: { codeSha512: null } }, 400, ['invalid-code-hash']],
      ['codeSha512 missing', () => [actId, codeId], { json: {} }, 400, ['invalid-code-hash']],
      ['the code itself instead of its hash', () => [actId, codeId], { json: { code: '123456' } }, 400, ['invalid-code-hash', 'invalid-request']],
      ['codeSha256 instead of codeSha512', () => [actId, codeId], { json: { codeSha256: 'a'.repeat(64) } }, 400, ['invalid-code-hash', 'invalid-request']],
      ['an extra property', () => [actId, codeId], { json: { codeSha512: hex, attemptsLeft: 99 } }, 400, ['invalid-request']],
      ['a form body', () => [actId, codeId], { raw: `codeSha512=${hex}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 415, ['unsupported-media-type']],
      ['a text/plain body', () => [actId, codeId], { raw: hex, headers: { 'content-type': 'text/plain' } }, 415, ['unsupported-media-type']],
      ['a code id that is not a UUID', () => [actId, 'not-a-code'], { json: { codeSha512: hex } }, 400, ['invalid-request']],
      ['an unknown code id', () => [actId, UNKNOWN_ID], { json: { codeSha512: hex } }, 404, ['code-unknown']],
      ['the code of this act under another provider\'s act', () => [otherActId, codeId], { json: { codeSha512: hex } }, 404, ['not-found', 'code-unknown']],
    ];
    it.each(cases)('refuses %s', async (label, ids, options, status, types) => {
      const [a, c] = ids();
      expectProblem(await refusedWithoutTrace(() => verify(a, c, options)), status, types, label);
    });
  });

  describe('GET /api/v1/failed-authorizations: bad query strings', () => {
    it.each([
      ['limit=abc', 'limit=abc'],
      ['limit=0', 'limit=0'],
      ['limit=-1', 'limit=-1'],
      ['limit=1001', 'limit=1001'],
      ['limit=1.5', 'limit=1.5'],
      ['reason=evil', 'reason=evil'],
      ['an unknown parameter', 'providerId=someone-else'],
      ['limit twice', 'limit=1&limit=2'],
    ])('refuses %s with 400 invalid-request', async (label, query) => {
      const a = await refusedWithoutTrace(() => call(server, 'GET', `/api/v1/failed-authorizations?${query}`, { token: provider.token }));
      expectProblem(a, 400, 'invalid-request', label);
    });
  });

  it('kept serving and logged no unhandled error', async () => {
    await expectServing(server);
    expect(unhandledErrorLines(server)).toEqual([]);
  });
});
