import { createHash, randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProviderIdentity } from '../support/ledger.ts';
import { providerOverHttp } from '../support/provider-over-http.ts';
import { startServer, type RunningServer } from '../support/server.ts';
import { deliveredMessageFrom } from '../support/delivery.ts';
import { storedEvents } from '../support/stored-events.ts';

/**
 * Many confirmations of the same correct code at once, against the real server process: exactly
 * one of them authorizes the act, and every other one gets a decided answer. None may be a 5xx
 * (contention on one act stream must not surface as an internal error).
 */

const JANA = 'test-person-jana';
const CONCURRENT = 20;
const ROUNDS = 3;

interface Answer {
  status: number;
  contentType: string;
  retryAfter: string | null;
  body: Record<string, unknown>;
}

describe('concurrent verifications of one code (real server process)', () => {
  let server: RunningServer;
  let provider: ProviderIdentity;
  let token: string;

  const api = async (method: string, path: string, body?: unknown, bearer = token) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${bearer}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  const verification = async (actId: string, codeId: string, codeSha512: string): Promise<Answer> => {
    const res = await fetch(`${server.url}/api/v1/acts/${actId}/codes/${codeId}/verifications`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ codeSha512 }),
    });
    const text = await res.text();
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      body = { unparsed: text.slice(0, 200) };
    }
    return { status: res.status, contentType: res.headers.get('content-type') ?? '', retryAfter: res.headers.get('retry-after'), body };
  };

  /** The types of the events stored in an act's stream (read beside the running server; WAL). */
  const storedTypes = (actId: string): string[] => storedEvents(join(server.dataDir, 'ledger.sqlite'), { streamName: `act-${actId}` }).map((e) => e.type);

  beforeAll(async () => {
    // Several codes to the same person within the hour: lift the send limit out of the way.
    server = await startServer({ LEDGER_CODE_SENDS_PER_HOUR: '1000', LEDGER_CODE_ATTEMPTS: '5' });
    ({ provider, token } = await providerOverHttp(server, 'Concurrent e-service'));
  });
  afterAll(async () => {
    await server?.stop();
    if (server) rmSync(server.dataDir, { recursive: true, force: true });
  });

  /** Registers an act for Jana and sends her a code by SMS; answers the ids and the right codeSha512. */
  const actWithCode = async (name: string) => {
    const { body: seppBody } = await api('GET', `/api/v1/admin/citizens/${JANA}/sepp?providerId=${provider.providerId}`, undefined, server.adminToken);
    const documentHash = createHash('sha256').update(randomBytes(64)).digest('hex');
    const act = await api('POST', '/api/v1/acts', { sepp: String(seppBody.sepp), documentHash, name, description: '' });
    expect(act.status, JSON.stringify(act.body)).toBe(201);
    const actId = String(act.body.actId);
    const issue = async () => {
      const issued = await api('POST', `/api/v1/acts/${actId}/codes`, { channel: 'sms' });
      expect(issued.status, JSON.stringify(issued.body)).toBe(201);
      const messages = async () => (await api('GET', `/api/v1/simulator/outbox?aifo=${JANA}`, undefined, server.adminToken)).body.messages as Array<{ code: string; channel: string }>;
      const code = await deliveredMessageFrom(messages, actId, String(issued.body.codeSha256));
      expect(code.channel).toBe('sms');
      return { codeId: String(issued.body.codeId), codeSha512: createHash('sha512').update(`${actId}:${code.code}`).digest('hex') };
    };
    return { actId, issue };
  };

  const summarize = (answers: Answer[]) =>
    JSON.stringify(
      answers.map((a) => ({ status: a.status, result: a.body.result, attemptsLeft: a.body.attemptsLeft, type: a.body.type, retryAfter: a.retryAfter, detail: a.body.detail })),
      null,
      1,
    );

  /** No 5xx; when there is one, the message says whether the server logged a lost append race. */
  const expectNo5xx = async (answers: Answer[], summary: string) => {
    const count = answers.filter((a) => a.status >= 500).length;
    if (count === 0) return;
    await sleep(300); // the child's log lines arrive through a pipe, a moment after the answers
    const lostRace = /WrongExpectedRevision/.test(server.logs());
    expect(count, `${count} 5xx answers under contention (server log mentions WrongExpectedRevisionError: ${lostRace}):\n${summary}`).toBe(0);
  };

  /** A 409 problem document that is a decision (act not pending) or says when to retry. */
  const expectDecidedRefusal = (a: Answer, summary: string) => {
    expect(a.status, `not a decided answer:\n${summary}`).toBe(409);
    expect(a.contentType, summary).toMatch(/^application\/problem\+json/);
    if (a.body.type !== 'urn:problem:act-ledger:act-not-pending') {
      expect(a.retryAfter, `a 409 other than act-not-pending must say when to retry:\n${summary}`).toMatch(/^\d+$/);
    }
  };

  for (let round = 1; round <= ROUNDS; round++) {
    it(`round ${round}: ${CONCURRENT} concurrent confirmations of the right code authorize the act exactly once`, async () => {
      const { actId, issue } = await actWithCode(`Concurrent act ${round}`);
      const { codeId, codeSha512 } = await issue();

      const answers = await Promise.all(Array.from({ length: CONCURRENT }, () => verification(actId, codeId, codeSha512)));
      const summary = summarize(answers);

      // No internal errors under contention.
      await expectNo5xx(answers, summary);

      // Exactly one confirmation authorized.
      const authorized = answers.filter((a) => a.status === 200 && a.body.result === 'authorized');
      expect(authorized.length, `answers with result "authorized":\n${summary}`).toBe(1);
      expect(authorized[0]!.body).toMatchObject({ status: 'authorized' });

      // Every other one is a decided answer: 2xx with another result, or a 409 problem document
      // (the code was used / the act is no longer pending, or a retryable conflict with Retry-After).
      for (const a of answers.filter((x) => x !== authorized[0])) {
        if (a.status >= 200 && a.status < 300) {
          expect(a.body.result, `a second 2xx must not authorize again:\n${summary}`).not.toBe('authorized');
          expect(['mismatch', 'expired', 'superseded', 'locked']).toContain(a.body.result);
          continue;
        }
        expectDecidedRefusal(a, summary);
      }

      // The act ends authorized by sms, with exactly one ActAuthorized in its stream.
      const after = await api('GET', `/api/v1/acts/${actId}`);
      expect(after.body).toMatchObject({ status: 'authorized', method: 'sms' });
      const types = storedTypes(actId);
      expect(types.filter((t) => t === 'ActRegistered'), types.join(',')).toHaveLength(1);
      expect(types.filter((t) => t === 'ActAuthorized'), types.join(',')).toHaveLength(1);
      expect(types.filter((t) => t === 'ActAuthorizationFailed'), types.join(',')).toHaveLength(0);
    });
  }

  // A burst of confirmations of the right code settles after one retry (the winner decides the act,
  // the rest are refused on re-reading). The bursts below keep every request appending, so the
  // stream stays contended for as long as the burst lasts.

  it(`${CONCURRENT} concurrent confirmations of a superseded code: each is recorded or told to retry, none is a 5xx, the act stays pending`, async () => {
    const { actId, issue } = await actWithCode('Superseded burst');
    const old = await issue();
    const current = await issue();

    const answers = await Promise.all(Array.from({ length: CONCURRENT }, () => verification(actId, old.codeId, old.codeSha512)));
    const summary = summarize(answers);
    await expectNo5xx(answers, summary);
    const recorded = answers.filter((a) => a.status === 200);
    for (const a of recorded) expect(a.body, summary).toMatchObject({ result: 'superseded', status: 'pending', attemptsLeft: 5 });
    for (const a of answers.filter((x) => x.status !== 200)) expectDecidedRefusal(a, summary);
    // Each 200 is one recorded attempt, and only those.
    expect(storedTypes(actId).filter((t) => t === 'CodeAttempted').length, summary).toBe(recorded.length);

    // The current code still authorizes, once.
    const final = await verification(actId, current.codeId, current.codeSha512);
    expect(final.body, summarize([final])).toMatchObject({ result: 'authorized', status: 'authorized' });
    expect(storedTypes(actId).filter((t) => t === 'ActAuthorized')).toHaveLength(1);
  });

  it(`${CONCURRENT} concurrent wrong codes: every attempt counted once, the act fails as attempts-exhausted, none is a 5xx`, async () => {
    const { actId, issue } = await actWithCode('Wrong-code burst');
    const { codeId } = await issue();
    const wrong = () => randomBytes(64).toString('hex');

    const answers = await Promise.all(Array.from({ length: CONCURRENT }, () => verification(actId, codeId, wrong())));
    const summary = summarize(answers);
    await expectNo5xx(answers, summary);
    const mismatches = answers.filter((a) => a.status === 200 && a.body.result === 'mismatch');
    for (const a of answers.filter((x) => x.status === 200)) expect(['mismatch', 'locked'], summary).toContain(a.body.result);
    for (const a of answers.filter((x) => x.status !== 200)) expectDecidedRefusal(a, summary);
    // Each mismatch used exactly one attempt: their attemptsLeft are distinct, counting down from 4.
    const left = mismatches.map((a) => Number(a.body.attemptsLeft)).sort((x, y) => y - x);
    expect(left, summary).toEqual(Array.from({ length: mismatches.length }, (_, i) => 4 - i));
    const types = storedTypes(actId);
    expect(types.filter((t) => t === 'CodeAttempted').length, summary).toBe(mismatches.length);
    if (mismatches.length === 5) {
      expect(types.filter((t) => t === 'ActAuthorizationFailed'), types.join(',')).toHaveLength(1);
      expect((await api('GET', `/api/v1/acts/${actId}`)).body).toMatchObject({ status: 'failed', failure: { reason: 'attempts-exhausted' } });
    }
    expect(mismatches.length, `twenty wrong codes must use up all five attempts:\n${summary}`).toBe(5);
    expect(types.filter((t) => t === 'ActAuthorized')).toHaveLength(0);
  });
});
