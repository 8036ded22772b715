import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { canonicalJson } from '../../events/canonical.ts';
import type { RecordedEvent } from '../../events/envelope.ts';
import type { Ledger } from '../../src/composition/ledger.ts';
import { loadConfig } from '../../src/config.ts';
import { auditPage, type AuditEntry } from '../../src/app/audit/audit-feed.ts';
import { EventSequence } from '../../src/app/projecting/event-sequence.ts';
import type { EventStore } from '../../src/ports/event-store.ts';
import { ADMIN_TOKEN, testLedger } from '../support/ledger.ts';
import { providerSession, projectionsCaughtUp } from '../support/act-flows.ts';
import { namedAdminToken } from '../support/admins.ts';
import { appendActHistory, type ActRecord } from '../support/act-history.ts';

const AUDITOR = 'auditor-token-0123456789abcdef-0123456789';
const PROBLEM = /^application\/problem\+json/;

const audit = (ledger: Ledger, query = '', token: string | null = AUDITOR) =>
  ledger.app.inject({ method: 'GET', url: `/api/v1/audit/events${query}`, headers: token ? { authorization: `Bearer ${token}` } : {} });

const lines = (res: LightMyRequestResponse): AuditEntry[] =>
  res.body
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as AuditEntry);

function expectProblem(res: LightMyRequestResponse, status: number, type: string): void {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(PROBLEM);
  expect((res.json() as { type: string }).type).toBe(`urn:problem:act-ledger:${type}`);
}

describe('LEDGER_AUDITOR_TOKEN', () => {
  it('is at least 32 characters and never the admin token', () => {
    expect(() => loadConfig({ LEDGER_AUDITOR_TOKEN: 'short' })).toThrow(/LEDGER_AUDITOR_TOKEN must be at least 32 characters/);
    expect(() => loadConfig({ LEDGER_AUDITOR_TOKEN: AUDITOR, LEDGER_ADMIN_TOKEN: AUDITOR })).toThrow(/must differ from LEDGER_ADMIN_TOKEN/);
    expect(loadConfig({ LEDGER_AUDITOR_TOKEN: AUDITOR }).auditorToken).toBe(AUDITOR);
    expect(loadConfig({}).auditorToken).toBeUndefined();
  });

  it('unset: the audit API answers that auditing is not configured, whatever the token', async () => {
    const ledger = await testLedger();
    try {
      for (const token of [AUDITOR, ADMIN_TOKEN, null]) expectProblem(await audit(ledger, '', token), 404, 'auditing-not-configured');
    } finally {
      await ledger.close();
    }
  });
});

describe('the audit API and the other audiences', () => {
  let ledger: Ledger;
  let actAs: string;
  let namedAdmin: string;
  beforeAll(async () => {
    ledger = await testLedger({ LEDGER_AUDITOR_TOKEN: AUDITOR });
    actAs = (await providerSession(ledger)).token;
    namedAdmin = (await namedAdminToken(ledger, ['providers', 'registry', 'retention', 'admins', 'onboarding'])).token;
  });
  afterAll(() => ledger.close());

  it('takes the auditor token (any case of the scheme) and no other credential', async () => {
    expect((await audit(ledger)).statusCode).toBe(200);
    const lower = await ledger.app.inject({ method: 'GET', url: '/api/v1/audit/events', headers: { authorization: `bearer ${AUDITOR}` } });
    expect(lower.statusCode).toBe(200);

    const none = await audit(ledger, '', null);
    expectProblem(none, 401, 'unauthorized');
    expect(none.headers['www-authenticate']).toBe('Bearer realm="audit"');
    for (const token of [ADMIN_TOKEN, namedAdmin, actAs, `${AUDITOR}x`, AUDITOR.slice(0, -1)]) {
      expectProblem(await audit(ledger, '', token), 403, 'auditor-token-required');
    }
  });

  it('the auditor token opens no admin or provider route the API documents', async () => {
    const paths = (ledger.app.swagger() as { paths: Record<string, Record<string, { security?: Array<Record<string, unknown>> }>> }).paths;
    const guarded = Object.entries(paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([, op]) => op.security?.some((s) => 'admin' in s || 'actAs' in s))
        .map(([method, op]) => ({ method: method.toUpperCase(), url: path.replace(/\{[^}]+\}/g, 'x'), audience: op.security!.some((s) => 'admin' in s) ? 'admin' : 'actAs' })),
    );
    expect(guarded.filter((r) => r.audience === 'admin').length).toBeGreaterThan(20);
    expect(guarded.filter((r) => r.audience === 'actAs').length).toBeGreaterThan(3);
    for (const { method, url } of guarded) {
      const res = await ledger.app.inject({ method: method as 'GET', url, headers: { authorization: `Bearer ${AUDITOR}` } });
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(403);
      expect(res.headers['content-type']).toMatch(PROBLEM);
      expect((res.json() as { type: string }).type, `${method} ${url}`).toBe('urn:problem:act-ledger:auditor-token-not-accepted');
    }
  });

  it('the token endpoint issues nothing for the auditor token, as a bearer or as an assertion', async () => {
    const asAssertion = await ledger.app.inject({
      method: 'POST',
      url: '/api/v1/token',
      headers: { authorization: `Bearer ${AUDITOR}` },
      payload: { grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: AUDITOR },
    });
    expectProblem(asAssertion, 400, 'invalid-request');
    expect(asAssertion.body).not.toContain('access_token');
    const bearerOnly = await ledger.app.inject({ method: 'POST', url: '/api/v1/token', headers: { authorization: `Bearer ${AUDITOR}` }, payload: { grant_type: 'client_credentials' } });
    expectProblem(bearerOnly, 400, 'invalid-request');
  });
});

describe('GET /api/v1/audit/events', () => {
  let ledger: Ledger;
  let acts: ActRecord[];
  let stored: RecordedEvent[];
  beforeAll(async () => {
    ledger = await testLedger({ LEDGER_AUDITOR_TOKEN: AUDITOR });
    const { eventStore, actCodec, keyVault } = ledger.services;
    acts = await appendActHistory({ store: eventStore, codec: actCodec, vault: keyVault }, { seed: 15, acts: 100 });
    await projectionsCaughtUp(ledger);
    stored = await eventStore.readAll();
  });
  afterAll(() => ledger.close());

  it('streams every event as stored, in log order, numbered 1, 2, 3, with its canonical bytes', async () => {
    const res = await audit(ledger, '?limit=10000');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/);
    expect(res.headers['link']).toBeUndefined();
    const entries = lines(res);
    expect(entries.map((e) => e.position)).toEqual(stored.map((e) => e.position));
    expect(entries.map((e) => e.sequence)).toEqual(stored.map((_, i) => i + 1));
    expect(res.headers['x-next-after']).toBe(String(stored.at(-1)!.position));
    for (const [i, entry] of entries.entries()) {
      const event = stored[i]!;
      expect(entry).toMatchObject({ streamName: event.streamName, revision: event.revision, type: event.type, metadata: event.metadata });
      const bytes = Buffer.from(entry.canonical, 'base64').toString('utf8');
      expect(bytes).toBe(canonicalJson({ streamName: event.streamName, type: event.type, data: event.data, metadata: event.metadata }));
      expect(JSON.parse(bytes)).toEqual({ streamName: event.streamName, type: event.type, data: event.data, metadata: event.metadata });
    }
  });

  it('keeps sealed parts sealed: no name, description or AIFO of an act in clear', async () => {
    const text = lines(await audit(ledger, '?limit=10000'))
      .map((e) => Buffer.from(e.canonical, 'base64').toString('utf8'))
      .join('\n');
    expect(text).toContain('ActRegistered');
    for (const act of acts.slice(0, 10)) {
      expect(text).toContain(act.actId);
      for (const secret of [act.name, act.aifo, ...(act.description ? [act.description] : [])]) expect(text).not.toContain(JSON.stringify(secret).slice(1, -1));
    }
  });

  it('pages by the next cursor until no Link says there is more, missing and repeating nothing', async () => {
    const seen: AuditEntry[] = [];
    let query = '?limit=7';
    for (let pages = 0; pages < 100; pages++) {
      const res = await audit(ledger, query);
      expect(res.statusCode).toBe(200);
      const page = lines(res);
      expect(page.length).toBeLessThanOrEqual(7);
      seen.push(...page);
      const next = res.headers['x-next-after'];
      if (page.length > 0) expect(next).toBe(String(page.at(-1)!.position));
      const link = res.headers['link'];
      if (!link) break;
      expect(link).toBe(`</api/v1/audit/events?after=${next}&limit=7>; rel="next"`);
      query = `?after=${next}&limit=7`;
    }
    expect(seen.map((e) => e.sequence)).toEqual(stored.map((_, i) => i + 1));
    // At the end, a page after the last event is empty and keeps the cursor.
    const last = String(stored.at(-1)!.position);
    const end = await audit(ledger, `?after=${last}`);
    expect(end.statusCode).toBe(200);
    expect(end.body).toBe('');
    expect(end.headers['x-next-after']).toBe(last);
  });

  it('refuses a cursor that is no event of the log, and limits outside 1 to 10000', async () => {
    expectProblem(await audit(ledger, `?after=${Number.MAX_SAFE_INTEGER}`), 400, 'invalid-request');
    for (const query of ['?limit=0', '?limit=10001', '?after=-1', '?after=abc', '?from=0']) expectProblem(await audit(ledger, query), 400, 'invalid-request');
    expect(lines(await audit(ledger)).length).toBe(Math.min(1000, stored.length));
  });

  it('reads the store in batches as the consumer pulls, not the whole page at once', async () => {
    const reads: number[] = [];
    const counting: Pick<EventStore, 'readAll'> = {
      readAll: async (options) => {
        const page = await ledger.services.eventStore.readAll(options);
        reads.push(page.length);
        return page;
      },
    };
    const page = await auditPage({ eventStore: counting, sequence: new EventSequence(ledger.services.readModels) }, { after: 0, limit: 10_000 });
    expect(page.more).toBe(false);
    const generator = page.lines();
    const first = await generator.next();
    expect(first.done).toBe(false);
    expect(reads).toHaveLength(1);
    expect(reads[0]!).toBeLessThan(stored.length);
    await generator.return(undefined);
  });
});
