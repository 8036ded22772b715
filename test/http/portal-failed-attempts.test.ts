import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ledger } from '../../src/composition/ledger.ts';
import { streamNames } from '../../events/envelope.ts';
import { failedAttemptsProjection } from '../../projections/failed-attempts.ts';
import { failedAuthorizationsProjection } from '../../projections/failed-authorizations.ts';
import { HOUR, JANA, admin, caughtUp, ledgerWithClock, movableClock, providerClient, rowsAbout } from '../support/retention-ledger.ts';

const PETR = 'test-person-petr';
const FORM_TOKEN_HEADER = 'x-portal-form-token';

interface AttemptJson {
  actId: string;
  providerName: string;
  actName: string;
  reason: string;
  failedAt: string;
  retainedUntil: string;
  reportedAt: string | null;
}

/**
 * The portal's failed attempts in a person's name and their "this was not me" report, over HTTP:
 * who may see and report what, once, while retained; what admins and providers see; the purge.
 */
describe('failed attempts in the portal', () => {
  const time = movableClock();
  let ledger: Ledger;
  let provider: Awaited<ReturnType<typeof providerClient>>;
  let failed: string;
  let otherFailed: string;
  let pending: string;
  let authorized: string;

  beforeAll(async () => {
    ledger = await ledgerWithClock({}, time.clock);
    provider = await providerClient(ledger, 'Finanční úřad');
    failed = await provider.register('Daňové přiznání 2025');
    await provider.failByWrongCodes(failed);
    // Newest first: the second failure a minute later.
    time.advance(60_000);
    otherFailed = await provider.register('Přehled OSVČ');
    await provider.failByWrongCodes(otherFailed);
    pending = await provider.register('Žádost čekající');
    authorized = await provider.register('Žádost autorizovaná');
    await provider.authorizeByCode(authorized);
    await caughtUp(ledger);
  }, 60_000);
  afterAll(() => ledger?.close());

  /** A signed-in browser of `aifo`: its session cookie, and the form token the list gives it. */
  async function signedIn(aifo: string) {
    const cookie = `ledger_portal=${await ledger.services.portalSessions.issue(aifo)}`;
    const list = async () => {
      const res = await ledger.app.inject({ method: 'GET', url: '/api/v1/citizen/failed-attempts', headers: { cookie } });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      return res.json() as { failedAttempts: AttemptJson[]; formToken: string };
    };
    const { formToken } = await list();
    /** `token` null: the header left out. */
    const report = (actId: string, token: string | null = formToken) =>
      ledger.app.inject({ method: 'POST', url: `/api/v1/citizen/failed-attempts/${actId}/reports`, headers: { cookie, ...(token !== null ? { [FORM_TOKEN_HEADER]: token } : {}) } });
    const reportByForm = (actId: string, token = formToken) =>
      ledger.app.inject({ method: 'POST', url: `/portal/failed-attempts/${actId}/report?lang=en`, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ formToken: token }).toString() });
    const page = async () => (await ledger.app.inject({ method: 'GET', url: '/portal?lang=en', headers: { cookie } })).body;
    return { cookie, formToken, list, report, reportByForm, page };
  }

  const disputes = async (actId: string) => (await ledger.services.eventStore.readStream(streamNames.act(actId))).filter((e) => e.type === 'AuthorizationDisputed');
  const adminList = async (query = '') => {
    const res = await admin(ledger, 'GET', `/api/v1/admin/failed-authorizations${query}`);
    expect(res.statusCode, res.body).toBe(200);
    return (res.json() as { failedAuthorizations: Array<{ actId: string; reportedAt?: string | null }> }).failedAuthorizations;
  };

  it('lists exactly the person\'s failed attempts, newest first, with the e-service, the act and the reason; nothing personal beyond that', async () => {
    const jana = await signedIn(JANA);
    const { failedAttempts } = await jana.list();
    expect(failedAttempts.map((a) => a.actId)).toEqual([otherFailed, failed]);
    expect(failedAttempts[1]).toEqual({
      actId: failed,
      providerName: 'Finanční úřad',
      actName: 'Daňové přiznání 2025',
      reason: 'attempts-exhausted',
      failedAt: new Date(time.clock().getTime() - 60_000).toISOString(),
      retainedUntil: new Date(time.clock().getTime() - 60_000 + 24 * HOUR).toISOString(),
      reportedAt: null,
    });
    expect(JSON.stringify(failedAttempts)).not.toContain(JANA);
    expect((await (await signedIn(PETR)).list()).failedAttempts).toEqual([]);
  });

  it('answers 401 without a session, and refuses a report without this session\'s form token (403)', async () => {
    expect((await ledger.app.inject({ method: 'GET', url: '/api/v1/citizen/failed-attempts' })).statusCode).toBe(401);
    const anonymous = await ledger.app.inject({ method: 'POST', url: `/api/v1/citizen/failed-attempts/${failed}/reports` });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['content-type']).toMatch(/^application\/problem\+json/);
    const jana = await signedIn(JANA);
    const otherSession = await signedIn(JANA);
    for (const token of [null, '', otherSession.formToken, jana.formToken.slice(1)]) {
      const res = await jana.report(failed, token);
      expect(res.statusCode, String(token)).toBe(403);
      expect(res.json()).toMatchObject({ type: 'urn:problem:act-ledger:forbidden' });
    }
    // A form of another site carries no token: refused as a page, and nothing recorded.
    const forged = await ledger.app.inject({ method: 'POST', url: `/portal/failed-attempts/${failed}/report?lang=en`, headers: { cookie: jana.cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: '' });
    expect(forged.statusCode).toBe(403);
    expect(forged.body).toContain('This form is no longer valid');
    // The JSON route takes no form: a page elsewhere cannot post one to it.
    const asForm = await ledger.app.inject({ method: 'POST', url: `/api/v1/citizen/failed-attempts/${failed}/reports`, headers: { cookie: jana.cookie, [FORM_TOKEN_HEADER]: jana.formToken, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'a=b' });
    expect(asForm.statusCode).toBe(415);
    expect(await disputes(failed)).toEqual([]);
  });

  it('refuses another person\'s act as not found, and an act of theirs that did not fail', async () => {
    const petr = await signedIn(PETR);
    const foreign = await petr.report(failed);
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json()).toMatchObject({ type: 'urn:problem:act-ledger:not-found' });
    expect((await petr.reportByForm(failed)).statusCode).toBe(404);
    const jana = await signedIn(JANA);
    for (const actId of [pending, authorized]) {
      const res = await jana.report(actId);
      expect(res.statusCode, actId).toBe(409);
      expect(res.json()).toMatchObject({ type: 'urn:problem:act-ledger:act-not-failed' });
    }
    expect((await jana.report('not-an-act-id')).statusCode).toBe(400);
    expect(await disputes(failed)).toEqual([]);
  });

  it('records a report once, as AuthorizationDisputed by `citizen`; a second one answers the first', async () => {
    const jana = await signedIn(JANA);
    const first = await jana.report(failed);
    expect(first.statusCode, first.body).toBe(201);
    const { reportedAt } = first.json() as { reportedAt: string };
    expect(first.json()).toEqual({ actId: failed, reportedAt: time.clock().toISOString(), alreadyReported: false });
    time.advance(60_000);
    const second = await jana.report(failed);
    expect(second.statusCode).toBe(200);
    expect(second.json()).toEqual({ actId: failed, reportedAt, alreadyReported: true });
    const recorded = await disputes(failed);
    expect(recorded).toHaveLength(1);
    expect(recorded[0]!.data).toEqual({ reportedAt });
    expect(recorded[0]!.metadata.actor).toBe('citizen');
    expect(JSON.stringify(recorded[0])).not.toContain(JANA);
    // The list shows it at once (the report waited for the read model).
    expect((await jana.list()).failedAttempts.find((a) => a.actId === failed)!.reportedAt).toBe(reportedAt);
  });

  it('shows admins which attempts were reported, and when; the provider is not told', async () => {
    const all = await adminList();
    expect(all.find((a) => a.actId === failed)!.reportedAt).toEqual(expect.any(String));
    expect(all.find((a) => a.actId === otherFailed)!.reportedAt).toBeNull();
    expect((await adminList('?disputed=true')).map((a) => a.actId)).toEqual([failed]);
    expect((await adminList('?disputed=false')).map((a) => a.actId)).not.toContain(failed);
    const own = await provider.call('GET', '/api/v1/failed-authorizations');
    expect(own.statusCode).toBe(200);
    const mine = (own.json() as { failedAuthorizations: Array<Record<string, unknown>> }).failedAuthorizations;
    expect(mine.map((a) => a.actId)).toContain(failed);
    for (const row of mine) expect(row).not.toHaveProperty('reportedAt');
  });

  it('the page\'s form reports and comes back to the attempt, which then shows the answer', async () => {
    const jana = await signedIn(JANA);
    expect(await jana.page()).toContain(`action="/portal/failed-attempts/${otherFailed}/report?lang=en"`);
    const res = await jana.reportByForm(otherFailed);
    expect(res.statusCode, res.body).toBe(303);
    expect(res.headers.location).toBe(`/portal?lang=en#attempt-${otherFailed}`);
    const page = await jana.page();
    const item = page.slice(page.indexOf(`id="attempt-${otherFailed}"`), page.indexOf('</li>', page.indexOf(`id="attempt-${otherFailed}"`)));
    expect(item).toContain('Thank you, reported on');
    expect(item).toContain('Přehled OSVČ');
    expect(item).not.toContain('<form');
    expect(await disputes(otherFailed)).toHaveLength(1);
  });

  it('after the purge the attempts are gone: from the list, from every read model, and a report is not found', async () => {
    time.advance(25 * HOUR);
    // A fresh failure, reported, which the purge keeps.
    const recent = await provider.register('Žádost o výpis');
    await provider.failByWrongCodes(recent);
    expect((await (await signedIn(JANA)).report(recent)).statusCode).toBe(201);
    await caughtUp(ledger);
    const report = await ledger.services.retentionPurge.run('test-purge');
    expect(report.erasedActs).toBe(2);
    await caughtUp(ledger);
    const jana = await signedIn(JANA);
    expect((await jana.list()).failedAttempts.map((a) => [a.actId, a.reportedAt !== null])).toEqual([[recent, true]]);
    expect(await rowsAbout(ledger, failed)).toEqual({});
    const late = await jana.report(otherFailed);
    expect(late.statusCode).toBe(404);
    expect((await adminList()).map((a) => a.actId)).toEqual([recent]);
    expect(await jana.page()).not.toContain('Daňové přiznání 2025');
  });

  it('a rebuild from zero after the purge ends as the live read models (what `ledger replay` compares)', async () => {
    for (const projection of [failedAttemptsProjection, failedAuthorizationsProjection]) {
      const live = await Promise.all(projection.collections.map((c) => ledger.services.readModels.find(c.name)));
      await ledger.services.projections.rebuild(projection.name);
      const rebuilt = await Promise.all(projection.collections.map((c) => ledger.services.readModels.find(c.name)));
      expect(rebuilt, projection.name).toEqual(live);
      expect(live[0]!.length, projection.name).toBe(1);
    }
  });
});
