import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import type { Ledger } from '../../src/composition/ledger.ts';
import { codeHashes } from '../../src/app/acts/act-service.ts';
import { CONFORMANCE_ITEMS } from '../../projections/provider-conformance.ts';
import { streamNames } from '../../events/envelope.ts';
import { ADMIN_TOKEN, testLedger } from '../support/ledger.ts';
import { providerSession } from '../support/act-flows.ts';
import { sentCode } from '../support/delivery.ts';

const JANA = 'test-person-jana';
const RETURN = 'https://provider.example/return';

interface Checklist {
  environment: string;
  passed: boolean;
  passedAt?: string;
  items: Array<{ item: string; seen: boolean; at?: string }>;
  missing: string[];
}

describe('conformance recorded from the provider\'s own traffic (simulator)', () => {
  let ledger: Ledger;
  let session: Awaited<ReturnType<typeof providerSession>>;

  beforeAll(async () => {
    ledger = await testLedger();
    session = await providerSession(ledger, 'Conformance e-service');
  });
  afterAll(() => ledger.close());

  const as = (token: string) => ({ authorization: `Bearer ${token}` });
  const checklist = async (): Promise<Checklist> => {
    const res = await ledger.app.inject({ method: 'GET', url: '/api/v1/provider/conformance', headers: as(session.token) });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as Checklist;
  };
  const adminChecklist = async (providerId = session.provider.providerId) =>
    ledger.app.inject({ method: 'GET', url: `/api/v1/admin/providers/${providerId}/conformance`, headers: as(ADMIN_TOKEN) });
  const call = async (method: 'GET' | 'POST', url: string, payload?: object) => {
    const res = await ledger.app.inject({ method, url, headers: as(session.token), ...(payload ? { payload } : {}) });
    expect(res.statusCode, res.body).toBeLessThan(300);
    return res.json() as Record<string, unknown>;
  };
  const readAct = (actId: string) => call('GET', `/api/v1/acts/${actId}`);
  const passedEvents = async () =>
    (await ledger.services.eventStore.readStream(streamNames.provider(session.provider.providerId))).filter((e) => e.type === 'ConformancePassed');

  /** Through the simulated identity node, as a browser would: answers the callback's response. */
  const throughSimulator = async (actId: string, form: Record<string, string>): Promise<LightMyRequestResponse> => {
    const started = await ledger.app.inject({ method: 'GET', url: `/authorize/${actId}?${new URLSearchParams({ redirect_uri: RETURN, state: 's1' })}` });
    expect(started.statusCode, started.body).toBe(303);
    const cookies = Object.fromEntries(started.cookies.map((c) => [c.name, c.value]));
    const simulator = new URL(started.headers.location as string);
    const answered = await ledger.app.inject({
      method: 'POST',
      url: simulator.pathname,
      payload: new URLSearchParams({ request: simulator.searchParams.get('request')!, ...form }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(answered.statusCode, answered.body).toBe(303);
    const callback = new URL(answered.headers.location as string);
    const back = await ledger.app.inject({ method: 'GET', url: `${callback.pathname}${callback.search}`, cookies });
    expect(back.statusCode, back.body).toBe(303);
    return back;
  };

  it('starts with everything missing, the support window open from registration', async () => {
    const list = await checklist();
    expect(list).toMatchObject({ environment: 'simulator', passed: false });
    expect(list.missing).toEqual([...CONFORMANCE_ITEMS]);
    expect(list.items.every((i) => !i.seen && i.at === undefined)).toBe(true);
    expect(await passedEvents()).toEqual([]);
    // Registering in the simulator admitted the provider: that window is where conformance counts.
    const events = await ledger.services.eventStore.readStream(streamNames.provider(session.provider.providerId));
    expect(events.find((e) => e.type === 'EnvironmentAccessGranted')?.data).toMatchObject({ environment: 'simulator', supportUntil: expect.any(String) });
  });

  it('passes once the scripted set was seen inside the window, and records it once', async () => {
    // An act registered and a code flow authorized.
    const byCode = await session.register(JANA, 'code flow', 'Code flow');
    await session.authorizeByCode(byCode, JANA);
    let list = await checklist();
    expect(list.missing).toEqual(['wrong-code-handled', 'authentication-authorized', 'failed-authentication-read-back', 'results-read']);
    expect(list.items.find((i) => i.item === 'act-registered')).toMatchObject({ seen: true, at: expect.any(String) });

    // A wrong code answered as a mismatch, then the right one.
    const wrongFirst = await session.register(JANA, 'wrong code', 'Wrong code first');
    const { codeId, codeSha256 } = await call('POST', `/api/v1/acts/${wrongFirst}/codes`, { channel: 'sms' });
    const code = await sentCode(ledger, JANA, wrongFirst, { codeId: String(codeId), codeSha256: String(codeSha256) });
    const verifications = `/api/v1/acts/${wrongFirst}/codes/${String(codeId)}/verifications`;
    expect(await call('POST', verifications, { codeSha512: 'f'.repeat(128) })).toMatchObject({ result: 'mismatch' });
    expect((await checklist()).missing).toContain('wrong-code-handled');
    expect(await call('POST', verifications, { codeSha512: codeHashes(wrongFirst, code).codeSha512 })).toMatchObject({ result: 'authorized' });
    expect((await checklist()).missing).not.toContain('wrong-code-handled');

    // An authorization by authentication.
    await throughSimulator(await session.register(JANA, 'authentication', 'By authentication'), { action: 'authenticate', person: JANA, means: 'eid-card' });
    // A cancelled authentication, not read yet.
    const cancelled = await session.register(JANA, 'cancelled', 'Cancelled');
    await throughSimulator(cancelled, { action: 'cancel' });
    list = await checklist();
    expect(list.passed).toBe(false);
    expect(list.missing).toEqual(['failed-authentication-read-back', 'results-read']);

    // Reading an authorized act reads results, but reads back no failed authentication.
    await readAct(byCode);
    expect((await checklist()).missing).toEqual(['failed-authentication-read-back']);
    expect(await passedEvents()).toEqual([]);
    // What a read showed is recorded once, in the provider's stream, for every process and after a restart.
    await readAct(byCode);
    const observed = (await ledger.services.eventStore.readStream(streamNames.provider(session.provider.providerId))).filter((e) => e.type === 'ConformanceObserved');
    expect(observed.map((e) => [e.data.item, e.metadata.actor])).toEqual([['results-read', 'system:conformance']]);

    // Reading the cancelled act back completes the set: ConformancePassed is recorded by that read.
    expect(await readAct(cancelled)).toMatchObject({ status: 'failed', failure: { reason: 'cancelled' } });
    const passed = await passedEvents();
    expect(passed).toHaveLength(1);
    expect(passed[0]!.data).toMatchObject({ providerId: session.provider.providerId, environment: 'simulator' });
    expect(passed[0]!.metadata.actor).toBe('system:conformance');

    list = await checklist();
    expect(list).toMatchObject({ environment: 'simulator', passed: true, passedAt: passed[0]!.data.at, missing: [] });
    expect(list.items.map((i) => i.item)).toEqual([...CONFORMANCE_ITEMS]);
    expect(list.items.every((i) => i.seen)).toBe(true);

    // More traffic and reads write nothing more.
    await readAct(cancelled);
    await checklist();
    expect(await passedEvents()).toHaveLength(1);
  });

  it('shows admins with the onboarding role the same checklist', async () => {
    const res = await adminChecklist();
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual(await checklist());
    const unknown = await adminChecklist('nobody');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.headers['content-type']).toMatch(/^application\/problem\+json/);
    const anonymous = await ledger.app.inject({ method: 'GET', url: `/api/v1/admin/providers/${session.provider.providerId}/conformance` });
    expect(anonymous.statusCode).toBe(401);
    expect((await ledger.app.inject({ method: 'GET', url: '/api/v1/provider/conformance' })).statusCode).toBe(401);
  });
});
