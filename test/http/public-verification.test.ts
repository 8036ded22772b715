import { createHash, randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import type { Ledger } from '../../src/composition/ledger.ts';
import { VERIFIED_ACTS } from '../../projections/verification-index.ts';
import { testLedger } from '../support/ledger.ts';
import { multipartBody, projectionsCaughtUp, providerSession, solve, solvedCaptcha } from '../support/act-flows.ts';

const JANA = 'test-person-jana';
const PATH = '/api/v1/public/verifications';
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('POST /api/v1/public/verifications', () => {
  let ledger: Ledger;
  let lookups: MockInstance;
  const authorizedFile = Buffer.from('%PDF-1.7 building permit application, signed\n');
  const failedFile = Buffer.from('%PDF-1.7 a tax return whose code was typed wrong five times\n');
  const neverFile = Buffer.from('%PDF-1.7 a document no e-service ever registered\n');
  let authorizedActId: string;

  beforeAll(async () => {
    // Low difficulty: the tests solve many captchas; the check on the ledger is the same.
    ledger = await testLedger({ LEDGER_CAPTCHA_MAX_NUMBER: '1000' });
    const provider = await providerSession(ledger, 'Stavební úřad Brno');
    authorizedActId = await provider.register(JANA, authorizedFile, 'Žádost o stavební povolení', 'Rodinný dům, parcela 1234/5');
    await provider.authorizeByCode(authorizedActId, JANA);
    await provider.exhaustAttempts(await provider.register(JANA, failedFile, 'Daňové přiznání 2025'));
    await projectionsCaughtUp(ledger);
  });
  afterAll(() => ledger.close());
  beforeEach(() => {
    lookups = vi.spyOn(ledger.services.readModels, 'find');
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  /** How many times the verification index was queried since the test began. */
  const indexLookups = () => lookups.mock.calls.filter(([collection]) => collection === VERIFIED_ACTS).length;
  const byJson = async (documentHash: string, altcha?: string) =>
    ledger.app.inject({ method: 'POST', url: PATH, payload: { documentHash, ...(altcha === undefined ? {} : { altcha }) } });
  const byUpload = async (file: Buffer, altcha?: string, order: 'captcha-first' | 'file-first' = 'captcha-first') => {
    const captcha = altcha === undefined ? [] : [{ name: 'altcha', value: altcha }];
    const filePart = [{ name: 'file', file }];
    return ledger.app.inject({ method: 'POST', url: PATH, ...multipartBody(order === 'captcha-first' ? [...captcha, ...filePart] : [...filePart, ...captcha]) });
  };
  const expectCaptchaRefused = (res: LightMyRequestResponse) => {
    expect(res.statusCode, res.body).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ type: 'urn:problem:act-ledger:captcha-invalid', status: 400 });
  };

  const authorizedVerdict = () => ({
    documentHash: sha256(authorizedFile),
    authorized: true,
    acts: [
      {
        actId: authorizedActId,
        name: 'Žádost o stavební povolení',
        description: 'Rodinný dům, parcela 1234/5',
        providerName: 'Stavební úřad Brno',
        authorizedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        method: 'sms',
      },
    ],
  });

  describe('with the hash as JSON', () => {
    it('answers authorized, with the act\'s details and nothing about the citizen, for an authorized file', async () => {
      const res = await byJson(sha256(authorizedFile), await solvedCaptcha(ledger));
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual(authorizedVerdict());
      expect(res.body).not.toContain(JANA);
      expect(res.headers['cache-control']).toBe('no-store');
    });

    it('answers not authorized for a file never registered', async () => {
      const res = await byJson(sha256(neverFile), await solvedCaptcha(ledger));
      expect(res.json()).toEqual({ documentHash: sha256(neverFile), authorized: false, acts: [] });
    });

    it('answers not authorized for a file whose act failed', async () => {
      const res = await byJson(sha256(failedFile), await solvedCaptcha(ledger));
      expect(res.json()).toEqual({ documentHash: sha256(failedFile), authorized: false, acts: [] });
    });

    it('accepts the hash in upper case, as some tools print it', async () => {
      const res = await byJson(sha256(authorizedFile).toUpperCase(), await solvedCaptcha(ledger));
      expect(res.json()).toEqual(authorizedVerdict());
    });
  });

  describe('with the file uploaded (multipart), hashed by the ledger', () => {
    it('answers authorized for an authorized file, whether the captcha comes before or after the file', async () => {
      for (const order of ['captcha-first', 'file-first'] as const) {
        const res = await byUpload(authorizedFile, await solvedCaptcha(ledger), order);
        expect(res.statusCode, res.body).toBe(200);
        expect(res.json()).toEqual(authorizedVerdict());
      }
    });

    it('answers not authorized for a file never registered and for a file whose act failed', async () => {
      for (const file of [neverFile, failedFile]) {
        const res = await byUpload(file, await solvedCaptcha(ledger));
        expect(res.json()).toEqual({ documentHash: sha256(file), authorized: false, acts: [] });
      }
    });

    it('refuses a file over LEDGER_UPLOAD_LIMIT with 413 problem+json, looking nothing up', async () => {
      const small = await testLedger({ LEDGER_UPLOAD_LIMIT: '1024', LEDGER_CAPTCHA_MAX_NUMBER: '1000' });
      try {
        const find = vi.spyOn(small.services.readModels, 'find');
        // Over the limit while streaming (the declared length alone would pass), and by its declared length.
        for (const size of [2048, 200 * 1024]) {
          const res = await small.app.inject({ method: 'POST', url: PATH, ...multipartBody([{ name: 'altcha', value: await solvedCaptcha(small) }, { name: 'file', file: randomBytes(size) }]) });
          expect(res.statusCode, res.body).toBe(413);
          expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
          expect(res.json()).toMatchObject({ type: 'urn:problem:act-ledger:payload-too-large' });
        }
        expect(find.mock.calls.filter(([c]) => c === VERIFIED_ACTS)).toHaveLength(0);
        // At the limit is fine.
        const ok = await small.app.inject({ method: 'POST', url: PATH, ...multipartBody([{ name: 'altcha', value: await solvedCaptcha(small) }, { name: 'file', file: randomBytes(1024) }]) });
        expect(ok.statusCode, ok.body).toBe(200);
      } finally {
        await small.close();
      }
    });
  });

  describe('the captcha is checked before anything is looked up', () => {
    it('refuses a missing captcha', async () => {
      expectCaptchaRefused(await byJson(sha256(authorizedFile)));
      expectCaptchaRefused(await byUpload(authorizedFile));
      expect(indexLookups()).toBe(0);
    });

    it('refuses a wrong captcha: another number, a forged signature, garbage', async () => {
      const good = JSON.parse(Buffer.from(await solvedCaptcha(ledger), 'base64').toString()) as Record<string, unknown>;
      const encode = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64');
      const wrong = [
        encode({ ...good, number: Number(good.number) + 1 }),
        encode({ ...good, signature: randomBytes(32).toString('hex') }),
        encode({ ...good, salt: `${String(good.salt)}x` }),
        'not base64 json',
        '',
      ];
      for (const altcha of wrong) {
        expectCaptchaRefused(await byJson(sha256(authorizedFile), altcha));
        expectCaptchaRefused(await byUpload(authorizedFile, altcha));
      }
      expect(indexLookups()).toBe(0);
    });

    it('refuses an expired captcha', async () => {
      vi.useFakeTimers({ toFake: ['Date'] });
      const altcha = await solvedCaptcha(ledger);
      vi.setSystemTime(Date.now() + ledger.services.config.captcha.ttlMs + 1000);
      expectCaptchaRefused(await byJson(sha256(authorizedFile), altcha));
      expect(indexLookups()).toBe(0);
    });

    it('refuses a captcha solution used once already, as JSON or multipart', async () => {
      const altcha = await solvedCaptcha(ledger);
      expect((await byJson(sha256(authorizedFile), altcha)).statusCode).toBe(200);
      expect(indexLookups()).toBe(1);
      expectCaptchaRefused(await byJson(sha256(authorizedFile), altcha));
      expectCaptchaRefused(await byUpload(authorizedFile, altcha));
      expect(indexLookups()).toBe(1);
    });

    it('accepts a challenge solved by the library the ALTCHA widget is built on', async () => {
      const challenge = (await ledger.app.inject({ method: 'GET', url: '/api/v1/public/captcha' })).json();
      expect(challenge).toMatchObject({ algorithm: 'SHA-256', maxnumber: 1000, salt: expect.stringMatching(/\?expires=\d+&$/) });
      expect((await byJson(sha256(neverFile), await solve(challenge))).statusCode).toBe(200);
    });
  });

  it('is rate limited per client: past 120 requests a minute, 429 problem+json', async () => {
    const limited = await testLedger();
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 121; i++) statuses.push((await limited.app.inject({ method: 'POST', url: PATH, payload: { documentHash: 'a'.repeat(64) } })).statusCode);
      expect(statuses.slice(0, 120).every((s) => s === 400)).toBe(true);
      expect(statuses[120]).toBe(429);
    } finally {
      await limited.close();
    }
  });
});
