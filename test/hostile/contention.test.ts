/**
 * Hostile input, surface 3: the same thing asked many times at once. Contention must never give a
 * 5xx (409 concurrency-conflict with Retry-After is allowed), and each race is decided exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settledDelivery, type DeliveredCodeView } from '../support/delivery.ts';
import {
  JANA,
  RETURN_URL,
  call,
  codeSha512,
  describeAnswer,
  expectHtmlRefusal,
  expectNo5xx,
  expectProblem,
  expectServing,
  getAct,
  getWithCookie,
  issueCode,
  logHead,
  providerWithToken,
  randomHash,
  seppOf,
  simulatorChoice,
  solvedCaptcha,
  startAuthorization,
  startHostileServer,
  stopHostileServer,
  times,
  unhandledErrorLines,
  type Answer,
  type Provider,
  type RunningServer,
} from './support.ts';

const PARALLEL = 20;

describe('hostile: contention', () => {
  let server: RunningServer;
  let provider: Provider;
  let sepp: string;

  beforeAll(async () => {
    server = await startHostileServer({ LEDGER_CODE_SENDS_PER_HOUR: '100000', LEDGER_CAPTCHA_MAX_NUMBER: '1000' });
    provider = await providerWithToken(server, { name: 'Contention e-service', returnUrls: [RETURN_URL] });
    sepp = await seppOf(server, JANA, provider.providerId);
  });
  afterAll(() => stopHostileServer(server));

  const newAct = async (documentHash = randomHash()) => {
    const a = await call(server, 'POST', '/api/v1/acts', { token: provider.token, json: { sepp, documentHash, name: 'Contended act' } });
    if (a.status !== 201) throw new Error(describeAnswer(a));
    return String(a.body!.actId);
  };

  /** A lost race: 409 with a stable type; a concurrency conflict says when to retry. */
  const expectDecidedConflict = (a: Answer, types: Parameters<typeof expectProblem>[2], label: string) => {
    expectProblem(a, 409, types, label);
    if (a.body!.type === 'urn:problem:act-ledger:concurrency-conflict') expect(a.headers.get('retry-after'), `${label}: Retry-After`).toMatch(/^\d+$/);
  };

  it(`answers ${PARALLEL} parallel GET /authorize of one act without a 5xx; each refusal writes nothing; only the newest flow authorizes`, async () => {
    const actId = await newAct();
    const head = await logHead(server);
    const starts = await Promise.all(times(PARALLEL).map((i) => startAuthorization(server, actId, RETURN_URL, `state-${i}`)));
    for (const { answer } of starts) {
      expectNo5xx(answer, 'parallel authorize');
      if (answer.status === 303) {
        expect(answer.headers.get('location')!.startsWith(`${server.url}/simulator/identity?`), describeAnswer(answer)).toBe(true);
      } else {
        expectHtmlRefusal(answer, 409, 'parallel authorize');
        expect(answer.headers.get('retry-after'), 'a lost start says when to retry').toMatch(/^\d+$/);
      }
    }
    const started = starts.filter((s) => s.answer.status === 303);
    expect(started.length).toBeGreaterThan(0);
    // Each start that was answered 303 wrote one AuthenticationRequested; a refused one wrote nothing.
    expect(await logHead(server)).toBe(head + started.length);
    expect(await getAct(server, provider.token, actId)).toMatchObject({ status: 'pending' });

    // Every started flow goes through the simulator; then all callbacks come back at once.
    const callbacks = await Promise.all(started.map(async (s) => ({ url: await simulatorChoice(server, s.answer.headers.get('location')!), cookie: s.cookie })));
    const beforeCallbacks = await logHead(server);
    const back = await Promise.all(callbacks.map((c) => getWithCookie(c.url, c.cookie)));
    for (const a of back) {
      expectNo5xx(a, 'parallel callbacks');
      if (a.status === 303) {
        // Back to the registered URI: the newest flow that authorized, or one that found the act decided already.
        const location = new URL(a.headers.get('location')!);
        expect(`${location.origin}${location.pathname}`).toBe(RETURN_URL);
        expect(location.searchParams.get('act_id')).toBe(actId);
      } else {
        expectHtmlRefusal(a, [400, 409], 'stale callback');
      }
    }
    expect(back.filter((a) => a.status === 303).length, back.map(describeAnswer).join('\n')).toBeGreaterThanOrEqual(1);
    // Only the newest flow wrote: AuthenticationCompleted and ActAuthorized, once. (Counted before the
    // provider reads the result: that read is noted for its conformance checklist, in the simulator.)
    expect(await logHead(server)).toBe(beforeCallbacks + 2);
    expect(await getAct(server, provider.token, actId)).toMatchObject({ status: 'authorized', method: 'authentication' });
  });

  it(`authorizes exactly once for ${PARALLEL} parallel verifications of one correct code`, async () => {
    const actId = await newAct();
    const { codeId, code } = await issueCode(server, provider.token, actId, JANA);
    const head = await logHead(server);
    const answers = await Promise.all(
      times(PARALLEL).map(() => call(server, 'POST', `/api/v1/acts/${actId}/codes/${codeId}/verifications`, { token: provider.token, json: { codeSha512: codeSha512(actId, code) } })),
    );
    for (const a of answers) expectNo5xx(a, 'parallel verification');
    const authorized = answers.filter((a) => a.status === 200 && a.body!.result === 'authorized');
    expect(authorized, answers.map(describeAnswer).join('\n')).toHaveLength(1);
    for (const a of answers.filter((x) => !authorized.includes(x))) {
      if (a.status === 200) expect(a.body!.result, describeAnswer(a)).not.toBe('authorized');
      else expectDecidedConflict(a, ['act-not-pending', 'concurrency-conflict'], 'losing verification');
    }
    expect(await getAct(server, provider.token, actId)).toMatchObject({ status: 'authorized', method: 'sms' });
    // CodeAttempted(matched) and ActAuthorized, once.
    expect(await logHead(server)).toBe(head + 2);
  });

  it(`spends each attempt once for ${PARALLEL} parallel wrong codes, then fails the act as attempts-exhausted`, async () => {
    const actId = await newAct();
    const { codeId, code } = await issueCode(server, provider.token, actId, JANA);
    const head = await logHead(server);
    const wrong = codeSha512(actId, code === '000000' ? '000001' : '000000');
    const answers = await Promise.all(
      times(PARALLEL).map(() => call(server, 'POST', `/api/v1/acts/${actId}/codes/${codeId}/verifications`, { token: provider.token, json: { codeSha512: wrong } })),
    );
    for (const a of answers) expectNo5xx(a, 'parallel wrong code');
    const mismatches = answers.filter((a) => a.status === 200 && a.body!.result === 'mismatch');
    for (const a of answers.filter((x) => x.status !== 200)) expectDecidedConflict(a, ['act-not-pending', 'concurrency-conflict'], 'wrong code');
    for (const a of answers.filter((x) => x.status === 200)) expect(['mismatch', 'locked'], describeAnswer(a)).toContain(a.body!.result);
    // Five attempts (LEDGER_CODE_ATTEMPTS): no two answers report the same attempts left.
    const left = mismatches.map((a) => Number(a.body!.attemptsLeft)).sort();
    expect(left, answers.map(describeAnswer).join('\n')).toEqual([0, 1, 2, 3, 4]);
    expect(await getAct(server, provider.token, actId)).toMatchObject({ status: 'failed', failure: { reason: 'attempts-exhausted' } });
    expect(await logHead(server)).toBe(head + 5 + 1);

    // The right code afterwards authorizes nothing.
    const late = await call(server, 'POST', `/api/v1/acts/${actId}/codes/${codeId}/verifications`, { token: provider.token, json: { codeSha512: codeSha512(actId, code) } });
    expectNo5xx(late, 'right code after lockout');
    if (late.status === 200) expect(late.body!.result).toBe('locked');
    else expectProblem(late, 409, 'act-not-pending', 'right code after lockout');
    expect(await getAct(server, provider.token, actId)).toMatchObject({ status: 'failed' });
  });

  it(`answers ${PARALLEL} parallel identical keyed registrations with one act: same actId and expiresAt, all but one marked Idempotent-Replayed`, async () => {
    const key = `race-${randomHash().slice(0, 16)}`;
    const body = { sepp, documentHash: randomHash(), name: 'Keyed act', description: 'same body' };
    const head = await logHead(server);
    const answers = await Promise.all(times(PARALLEL).map(() => call(server, 'POST', '/api/v1/acts', { token: provider.token, json: body, headers: { 'idempotency-key': key } })));
    for (const a of answers) {
      expectNo5xx(a, 'keyed registration');
      expect([200, 201], describeAnswer(a)).toContain(a.status);
    }
    expect(new Set(answers.map((a) => a.body!.actId)).size, answers.map(describeAnswer).join('\n')).toBe(1);
    expect(new Set(answers.map((a) => a.body!.expiresAt)).size).toBe(1);
    const replayed = answers.filter((a) => a.headers.get('idempotent-replayed') === 'true');
    expect(replayed, answers.map((a) => `${a.status} replayed=${a.headers.get('idempotent-replayed')}`).join('\n')).toHaveLength(PARALLEL - 1);
    expect(await logHead(server)).toBe(head + 1);
  });

  it('decides keyed registrations with one key and different bodies at once: one body wins, the others are 409, the act holds the winner\'s document', async () => {
    const key = `race-${randomHash().slice(0, 16)}`;
    const bodies = times(10).map((i) => ({ sepp, documentHash: randomHash(), name: `Body ${i}` }));
    const head = await logHead(server);
    const answers = await Promise.all(bodies.map((json) => call(server, 'POST', '/api/v1/acts', { token: provider.token, json, headers: { 'idempotency-key': key } })));
    for (const a of answers) expectNo5xx(a, 'conflicting keyed registration');
    const won = answers.map((a, i) => ({ a, i })).filter(({ a }) => a.status === 201);
    expect(won, answers.map(describeAnswer).join('\n')).toHaveLength(1);
    expect(won[0]!.a.headers.get('idempotent-replayed')).toBeNull();
    for (const a of answers.filter((x) => x.status !== 201)) expectProblem(a, 409, 'idempotency-key-reused', 'losing body');
    expect(await logHead(server)).toBe(head + 1);
    const winner = won[0]!.i;
    const actId = String(won[0]!.a.body!.actId);

    // Asked again one by one, only the winner's body is the act's.
    for (const [i, json] of bodies.entries()) {
      const again = await call(server, 'POST', '/api/v1/acts', { token: provider.token, json, headers: { 'idempotency-key': key } });
      if (i === winner) {
        expect(again.status, describeAnswer(again)).toBe(201);
        expect(again.headers.get('idempotent-replayed')).toBe('true');
        expect(again.body!.actId).toBe(actId);
      } else {
        expectProblem(again, 409, 'idempotency-key-reused', `body ${i} again`);
      }
    }

    // Authorized, the act is found by the winner's document and not by a loser's.
    const { codeId, code } = await issueCode(server, provider.token, actId, JANA);
    const verified = await call(server, 'POST', `/api/v1/acts/${actId}/codes/${codeId}/verifications`, { token: provider.token, json: { codeSha512: codeSha512(actId, code) } });
    expect(verified.body).toMatchObject({ result: 'authorized' });
    const lookup = async (documentHash: string) => {
      for (let attempt = 0; attempt < 50; attempt++) {
        const a = await call(server, 'POST', '/api/v1/public/verifications', { json: { documentHash, altcha: await solvedCaptcha(server) } });
        expect(a.status, describeAnswer(a)).toBe(200);
        if (a.body!.authorized || documentHash !== bodies[winner]!.documentHash) return a.body!;
        await new Promise((r) => setTimeout(r, 100)); // the verification index is a projection
      }
      throw new Error('the winner\'s document never showed up');
    };
    const found = await lookup(bodies[winner]!.documentHash);
    expect(found).toMatchObject({ authorized: true, acts: [expect.objectContaining({ actId, name: `Body ${winner}` })] });
    const loser = bodies[(winner + 1) % bodies.length]!;
    expect(await lookup(loser.documentHash)).toMatchObject({ authorized: false, acts: [] });
  });

  it(`registers ${PARALLEL} distinct acts for ${PARALLEL} parallel unkeyed registrations`, async () => {
    const head = await logHead(server);
    const answers = await Promise.all(times(PARALLEL).map(() => call(server, 'POST', '/api/v1/acts', { token: provider.token, json: { sepp, documentHash: randomHash(), name: 'Parallel act' } })));
    for (const a of answers) expect(a.status, describeAnswer(a)).toBe(201);
    expect(new Set(answers.map((a) => a.body!.actId)).size).toBe(PARALLEL);
    expect(await logHead(server)).toBe(head + PARALLEL);
  });

  it(`issues codes for ${PARALLEL} parallel requests on one act without a 5xx; only the newest code authorizes, the others are superseded`, async () => {
    const actId = await newAct();
    const head = await logHead(server);
    const answers = await Promise.all(times(PARALLEL).map(() => call(server, 'POST', `/api/v1/acts/${actId}/codes`, { token: provider.token, json: { channel: 'sms' } })));
    for (const a of answers) {
      expectNo5xx(a, 'parallel codes');
      if (a.status !== 201) expectDecidedConflict(a, ['concurrency-conflict'], 'parallel code');
    }
    const issued = answers.filter((a) => a.status === 201).map((a) => ({ codeId: String(a.body!.codeId), codeSha256: String(a.body!.codeSha256) }));
    expect(issued.length).toBeGreaterThan(0);
    expect(new Set(issued.map((c) => c.codeId)).size).toBe(issued.length);
    // Each code's delivery then settles, one event more each: the newest is sent; an older one may be
    // superseded before its turn comes, and is then not sent at all.
    const readAct = () => getAct(server, provider.token, actId) as Promise<{ codes: DeliveredCodeView[] }>;
    const deliveries = new Map<string, DeliveredCodeView>();
    for (const { codeId } of issued) deliveries.set(codeId, await settledDelivery(readAct, codeId));
    expect(await logHead(server)).toBe(head + 2 * issued.length);
    expect([...deliveries.values()].filter((d) => d.delivery === 'sent').length).toBeGreaterThan(0);
    // Each answer's codeSha256 names the code the phone got for it.
    const outbox = await call(server, 'GET', `/api/v1/simulator/outbox?aifo=${JANA}`, { token: server.adminToken });
    const codes = (outbox.body!.messages as Array<{ code: string }>).map((m) => m.code);
    const { createHash } = await import('node:crypto');
    const codeOf = (sha256: string) => codes.find((c) => createHash('sha256').update(`${actId}:${c}`).digest('hex') === sha256);
    const results: string[] = [];
    for (const { codeId, codeSha256 } of issued) {
      const code = codeOf(codeSha256);
      const delivery = deliveries.get(codeId)!;
      if (delivery.delivery === 'sent') expect(code, 'the phone got every code recorded as sent').toBeDefined();
      else expect(delivery.failure?.reason).toBe('not sent: a newer code was issued');
      const a = await call(server, 'POST', `/api/v1/acts/${actId}/codes/${codeId}/verifications`, { token: provider.token, json: { codeSha512: code ? codeSha512(actId, code) : 'f'.repeat(128) } });
      expectNo5xx(a, 'verification of a raced code');
      if (a.status === 200) results.push(String(a.body!.result));
      else {
        expectProblem(a, 409, 'act-not-pending', 'code after the act was authorized');
        results.push('act-not-pending');
      }
    }
    expect(results.filter((r) => r === 'authorized'), results.join(',')).toHaveLength(1);
    for (const r of results.filter((x) => x !== 'authorized')) expect(['superseded', 'act-not-pending']).toContain(r);
    expect(await getAct(server, provider.token, actId)).toMatchObject({ status: 'authorized' });
  });

  it('kept serving and logged no unhandled error', async () => {
    await expectServing(server);
    expect(unhandledErrorLines(server)).toEqual([]);
  });
});
