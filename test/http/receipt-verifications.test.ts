import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ledger } from '../../src/composition/ledger.ts';
import { actAsToken } from '../support/ledger.ts';
import { projectionsCaughtUp, providerSession } from '../support/act-flows.ts';
import { HOUR, ledgerWithClock, movableClock } from '../support/retention-ledger.ts';

const JANA = 'test-person-jana';
const PATH = '/api/v1/public/receipts/verifications';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('receipts in the act, and POST /api/v1/public/receipts/verifications', () => {
  const time = movableClock();
  let ledger: Ledger;
  let session: Awaited<ReturnType<typeof providerSession>>;
  let authorized: string;
  let failed: string;
  const document = 'the building permit, as filed';

  const readAct = async (actId: string) => {
    const token = await actAsToken(ledger, session.provider);
    return (await ledger.app.inject({ method: 'GET', url: `/api/v1/acts/${actId}`, headers: { authorization: `Bearer ${token}` } })).json() as Record<string, unknown>;
  };
  const check = (payload: unknown) => ledger.app.inject({ method: 'POST', url: PATH, payload: payload as object });
  const checkpoint = async () => {
    await projectionsCaughtUp(ledger);
    await ledger.services.transparencyLog.checkpointNow();
  };

  beforeAll(async () => {
    ledger = await ledgerWithClock({}, time.clock);
    session = await providerSession(ledger, 'Stavební úřad Brno');
    authorized = await session.register(JANA, document, 'Žádost o stavební povolení', 'Rodinný dům');
    await session.authorizeByCode(authorized, JANA);
    failed = await session.register(JANA, 'another file', 'Daňové přiznání');
    await session.exhaustAttempts(failed);
  }, 30_000);
  afterAll(async () => {
    await ledger?.close();
  });

  it('an authorized act\'s receipt is pending until a checkpoint covers it, then checks out, with and without the file', async () => {
    const covering = await ledger.services.transparencyLog.latestCheckpoint();
    expect(covering).toBeUndefined();
    expect((await readAct(authorized)).receipt).toEqual({ status: 'pending' });
    expect((await readAct(failed)).receipt).toBeUndefined();

    await checkpoint();
    const act = await readAct(authorized);
    const receipt = act.receipt as Record<string, string>;
    expect(receipt).toMatchObject({ status: 'issued', jws: expect.any(String), event: expect.any(String), proof: expect.stringMatching(/^c2sp\.org\/tlog-proof@v1\nindex \d+\n/) });

    const withFile = await check({ receipt, documentHash: sha256(document) });
    expect(withFile.statusCode).toBe(200);
    expect(withFile.headers['cache-control']).toBe('no-store');
    const verdict = withFile.json();
    expect(verdict).toMatchObject({ genuine: true, inLog: true, matchesDocument: true, problems: [], checkpoint: { origin: ledger.services.transparencyLog.origin } });
    expect(verdict.act).toMatchObject({ actId: authorized, documentHash: sha256(document), nameSha256: sha256('Žádost o stavební povolení'), providerName: 'Stavební úřad Brno', method: 'sms', loa: null });
    // Nothing a reader needs beyond the claims: the salt and the store's cursor stay out of the answer.
    expect(Object.keys(verdict.act)).not.toContain('salt');
    expect(Object.keys(verdict.act)).not.toContain('position');

    expect((await check({ receipt })).json()).toMatchObject({ genuine: true, inLog: true, matchesDocument: null, problems: [] });
    expect((await check({ receipt, documentHash: sha256('something else').toUpperCase() })).json()).toMatchObject({ genuine: true, inLog: true, matchesDocument: false, problems: ['document-mismatch'] });
    expect((await check({ receipt: { status: 'pending' } })).json()).toMatchObject({ genuine: false, inLog: false, problems: ['receipt-pending'] });
  });

  it('answers a receipt that does not hold with its verdict, and a body that is no receipt with 400', async () => {
    const receipt = (await readAct(authorized)).receipt as Record<string, string>;
    const event = Buffer.from(receipt.event!, 'base64');
    event[20] = event[20]! ^ 0x01;
    const damaged = await check({ receipt: { ...receipt, event: event.toString('base64') } });
    expect(damaged.statusCode).toBe(200);
    expect(damaged.json()).toMatchObject({ genuine: false, inLog: false });
    const [header, payload, signature] = receipt.jws!.split('.');
    const forged = `${header}.${payload!.slice(0, -2)}AA.${signature}`;
    expect((await check({ receipt: { ...receipt, jws: forged } })).json()).toMatchObject({ genuine: false, problems: ['signature-invalid'] });

    for (const body of [{}, { receipt: { status: 'issued', jws: 'x' } }, { receipt, extra: 1 }, { receipt: { ...receipt, more: 'x' } }, { receipt: 'text' }]) {
      const res = await check(body);
      expect(res.statusCode, JSON.stringify(body).slice(0, 60)).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json().type).toBe('urn:problem:act-ledger:invalid-request');
    }
    const badHash = await check({ receipt, documentHash: 'abc' });
    expect(badHash.statusCode).toBe(400);
    expect(badHash.json().type).toBe('urn:problem:act-ledger:invalid-document-hash');
  });

  it('keeps verifying after a retention purge erased the failed act: the purge destroys keys, never bytes', async () => {
    const before = (await readAct(authorized)).receipt as Record<string, string>;
    time.advance(25 * HOUR);
    const report = await ledger.services.retentionPurge.run('receipt-test');
    expect(report.erasedActs).toBeGreaterThanOrEqual(1);
    await checkpoint();
    const after = (await readAct(authorized)).receipt as Record<string, string>;
    // A newer checkpoint (the purge's records are in the log now): the same claims and event, a longer proof.
    expect(after.jws).toBe(before.jws);
    expect(after.event).toBe(before.event);
    expect(after.proof).not.toBe(before.proof);
    for (const receipt of [before, after]) expect((await check({ receipt, documentHash: sha256(document) })).json()).toMatchObject({ genuine: true, inLog: true, matchesDocument: true, problems: [] });
    expect((await readAct(failed)).receipt).toBeUndefined();
  });

  it('keeps verifying after the signing key is rotated out of service: retired keys stay published', async () => {
    const issued = (await readAct(authorized)).receipt as Record<string, string>;
    const signedWith = (JSON.parse(Buffer.from(issued.jws!.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;
    for (let i = 0; i < 3; i++) await ledger.services.keys.rotate();
    expect(ledger.services.keys.all.map((k) => k.kid)).not.toContain(signedWith);
    const jwks = (await ledger.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json() as { keys: Array<{ kid: string; retired?: boolean }> };
    expect(jwks.keys.find((k) => k.kid === signedWith)).toMatchObject({ retired: true });
    expect((await check({ receipt: issued, documentHash: sha256(document) })).json()).toMatchObject({ genuine: true, inLog: true, matchesDocument: true, problems: [] });
  });
});
