import { afterEach, describe, expect, it } from 'vitest';
import { streamNames } from '../../events/envelope.ts';
import type { AdminRole } from '../../events/admin.ts';
import { changeDecider } from '../../commands/change.ts';
import { buildLedger, type Ledger } from '../../src/composition/ledger.ts';
import { handleCommand } from '../../src/app/command-handler.ts';
import { uuidFromName } from '../../src/app/ids.ts';
import { ADMIN_TOKEN, testBuildOptions, testConfig } from '../support/ledger.ts';
import { adminToken, createAdmin } from '../support/admins.ts';
import { HOUR, caughtUp, movableClock } from '../support/retention-ledger.ts';

/** Four named admins, each with their own key and token: three may change the retention, one may not. */
const NAMED_ADMINS: Record<Exclude<Caller, 'bootstrap'>, AdminRole[]> = { alice: ['retention'], bob: ['retention'], dave: ['retention', 'registry'], carol: ['registry', 'providers'] };

type Caller = 'alice' | 'bob' | 'carol' | 'dave' | 'bootstrap';

async function fourEyesLedger(env: Record<string, string> = {}) {
  const time = movableClock();
  const ledger = await buildLedger(testConfig(env), testBuildOptions({ clock: time.clock }));
  await ledger.app.ready();
  const ids: Record<string, string> = {};
  const tokens: Record<string, string> = { bootstrap: ADMIN_TOKEN };
  for (const [name, roles] of Object.entries(NAMED_ADMINS)) {
    const admin = await createAdmin(ledger, roles, { name });
    ids[name] = admin.adminId;
    tokens[name] = await adminToken(ledger, admin);
  }
  /** The actor an admin's events record. */
  const actor = (who: Caller) => `admin:${who === 'bootstrap' ? 'bootstrap' : ids[who]}`;
  const call = (who: Caller, method: 'GET' | 'PUT' | 'POST', url: string, payload?: object) =>
    ledger.app.inject({ method, url, headers: { authorization: `Bearer ${tokens[who]}` }, ...(payload ? { payload } : {}) });
  const retentionNow = async () => ((await call('bootstrap', 'GET', '/api/v1/admin/retention')).json() as { failedAuthorizationRetention: string }).failedAuthorizationRetention;
  const policyChanges = async () => (await ledger.services.eventStore.readStream(streamNames.retention)).filter((e) => e.type === 'RetentionPolicyChanged');
  const pending = async (who: Caller = 'bob') => ((await call(who, 'GET', '/api/v1/admin/changes?status=pending')).json() as { changes: Array<Record<string, unknown>> }).changes;
  const propose = async (who: Caller, failedAuthorizationRetention: string) => {
    const res = await call(who, 'PUT', '/api/v1/admin/retention', { failedAuthorizationRetention, purgeEvery: 'PT5M' });
    expect(res.statusCode, res.body).toBe(202);
    return res.json() as { changeId: string; status: string; expiresAt: string };
  };
  const confirm = (who: Caller, changeId: string) => call(who, 'POST', `/api/v1/admin/changes/${changeId}/confirmation`);
  return { ledger, time, call, actor, retentionNow, policyChanges, pending, propose, confirm };
}

const problemType = (res: { json(): unknown }) => (res.json() as { type: string }).type;

describe('four eyes: a shorter retention takes effect only when a second admin confirms it', () => {
  let ledger: Ledger | undefined;
  afterEach(async () => {
    await ledger?.close();
    ledger = undefined;
  });

  it('answers 202 and changes nothing, lists the change as waiting, and applies it once another admin with the role confirms', async () => {
    const t = await fourEyesLedger();
    ledger = t.ledger;
    const proposedAt = t.time.clock().toISOString();
    const proposal = await t.propose('alice', 'PT1H');
    expect(proposal).toEqual({ changeId: expect.stringMatching(/^[0-9a-f-]{36}$/), status: 'awaiting-confirmation', expiresAt: new Date(t.time.clock().getTime() + 24 * HOUR).toISOString() });

    // Nothing changed yet: the policy in force is the old one, and no RetentionPolicyChanged exists.
    expect(await t.retentionNow()).toBe('PT24H');
    expect(await t.policyChanges()).toEqual([]);
    expect(await t.pending()).toEqual([
      expect.objectContaining({ changeId: proposal.changeId, kind: 'retention-shortening', status: 'pending', requiredRole: 'retention', proposedBy: t.actor('alice'), proposedAt, expiresAt: proposal.expiresAt }),
    ]);

    // The proposer cannot be the second pair of eyes; an admin without the retention role cannot either.
    const self = await t.confirm('alice', proposal.changeId);
    expect(self.statusCode).toBe(403);
    expect(self.headers['content-type']).toContain('application/problem+json');
    expect(problemType(self)).toBe('urn:problem:act-ledger:change-self-confirmation');
    const roleless = await t.confirm('carol', proposal.changeId);
    expect(roleless.statusCode).toBe(403);
    expect(roleless.json()).toMatchObject({ type: 'urn:problem:act-ledger:change-role-missing', requiredRole: 'retention' });
    expect(await t.retentionNow()).toBe('PT24H');

    t.time.advance(HOUR);
    const confirmedAt = t.time.clock().toISOString();
    const confirmed = await t.confirm('bob', proposal.changeId);
    expect(confirmed.statusCode, confirmed.body).toBe(200);
    expect(confirmed.json()).toMatchObject({
      changeId: proposal.changeId,
      status: 'applied',
      proposedBy: t.actor('alice'),
      confirmedBy: t.actor('bob'),
      confirmedAt,
      appliedAt: confirmedAt,
      result: { failedAuthorizationRetention: 'PT1H', purgeEvery: 'PT5M', changedBy: t.actor('bob'), changedAt: confirmedAt, reschedule: 'applied' },
    });
    expect(await t.retentionNow()).toBe('PT1H');

    // Both steps are events under the admins' actors; the effect is caused by the confirmation.
    const change = await t.ledger.services.eventStore.readStream(streamNames.change(proposal.changeId));
    expect(change.map((e) => [e.type, e.metadata.actor])).toEqual([['ChangeProposed', t.actor('alice')], ['ChangeConfirmed', t.actor('bob')], ['ChangeApplied', t.actor('bob')]]);
    const [policyChange] = await t.policyChanges();
    expect(policyChange!.data).toMatchObject({ by: t.actor('bob'), old: { failedAuthorizationRetentionMs: 24 * HOUR }, new: { failedAuthorizationRetentionMs: HOUR } });
    expect(policyChange!.metadata).toMatchObject({ actor: t.actor('bob'), correlationId: proposal.changeId, causationId: change[1]!.metadata.eventId, eventId: uuidFromName(`change-${proposal.changeId}:effect:0`) });

    // No longer waiting; a second confirmation is refused and changes nothing.
    expect(await t.pending()).toEqual([]);
    expect((await t.call('bob', 'GET', `/api/v1/admin/changes/${proposal.changeId}`)).json()).toMatchObject({ status: 'applied', confirmedBy: t.actor('bob') });
    const twice = await t.confirm('dave', proposal.changeId);
    expect(twice.statusCode).toBe(409);
    expect(twice.json()).toMatchObject({ type: 'urn:problem:act-ledger:change-already-confirmed', confirmedBy: t.actor('bob') });
    expect(await t.policyChanges()).toHaveLength(1);
  });

  it('refuses a confirmation past expiresAt (LEDGER_CHANGE_CONFIRMATION_TTL), and the change leaves the pending list', async () => {
    const t = await fourEyesLedger({ LEDGER_CHANGE_CONFIRMATION_TTL: 'PT2H' });
    ledger = t.ledger;
    const proposal = await t.propose('alice', 'PT1H');
    expect(proposal.expiresAt).toBe(new Date(t.time.clock().getTime() + 2 * HOUR).toISOString());

    t.time.advance(2 * HOUR);
    const late = await t.confirm('bob', proposal.changeId);
    expect(late.statusCode).toBe(409);
    expect(late.json()).toMatchObject({ type: 'urn:problem:act-ledger:change-expired', expiresAt: proposal.expiresAt });
    expect(await t.retentionNow()).toBe('PT24H');
    expect(await t.policyChanges()).toEqual([]);
    expect(await t.pending()).toEqual([]);
    const expired = (await t.call('bob', 'GET', '/api/v1/admin/changes?status=expired')).json() as { changes: Array<{ changeId: string; status: string }> };
    expect(expired.changes).toEqual([expect.objectContaining({ changeId: proposal.changeId, status: 'expired' })]);
    expect((await t.call('bob', 'GET', `/api/v1/admin/changes/${proposal.changeId}`)).json()).toMatchObject({ status: 'expired' });
  });

  it('a longer or an unchanged retention applies at once, as before', async () => {
    const t = await fourEyesLedger();
    ledger = t.ledger;
    const longer = await t.call('alice', 'PUT', '/api/v1/admin/retention', { failedAuthorizationRetention: 'P2D', purgeEvery: 'PT5M' });
    expect(longer.statusCode, longer.body).toBe(200);
    expect(longer.json()).toMatchObject({ failedAuthorizationRetention: 'P2D', changedBy: t.actor('alice'), reschedule: 'applied' });
    const same = await t.call('bob', 'PUT', '/api/v1/admin/retention', { failedAuthorizationRetention: 'P2D', purgeEvery: 'PT1M' });
    expect(same.statusCode, same.body).toBe(200);
    expect(same.json()).toMatchObject({ failedAuthorizationRetention: 'P2D', purgeEvery: 'PT1M', changedBy: t.actor('bob') });
    expect(await t.pending()).toEqual([]);
    // Out of bounds is refused at once, not proposed.
    const tooShort = await t.call('alice', 'PUT', '/api/v1/admin/retention', { failedAuthorizationRetention: 'PT30S', purgeEvery: 'PT5M' });
    expect(tooShort.statusCode).toBe(400);
    expect(problemType(tooShort)).toBe('urn:problem:act-ledger:invalid-retention-policy');
    expect(await t.pending()).toEqual([]);
  });

  it('in the simulator the bootstrap token shortens at once, and may confirm a named admin\'s change', async () => {
    const t = await fourEyesLedger();
    ledger = t.ledger;
    const at = t.time.clock().toISOString();
    const res = await t.call('bootstrap', 'PUT', '/api/v1/admin/retention', { failedAuthorizationRetention: 'PT12H', purgeEvery: 'PT5M' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ failedAuthorizationRetention: 'PT12H', changedBy: 'admin:bootstrap', changedAt: at });
    expect((await t.policyChanges()).map((e) => e.metadata.actor)).toEqual(['admin:bootstrap']);
    expect(((await t.call('bootstrap', 'GET', '/api/v1/admin/changes')).json() as { changes: unknown[] }).changes).toEqual([]);

    const proposal = await t.propose('alice', 'PT1H');
    expect(await t.pending('bootstrap')).toEqual([expect.objectContaining({ changeId: proposal.changeId, proposedBy: t.actor('alice') })]);
    const confirmed = await t.confirm('bootstrap', proposal.changeId);
    expect(confirmed.statusCode, confirmed.body).toBe(200);
    expect(confirmed.json()).toMatchObject({ status: 'applied', confirmedBy: 'admin:bootstrap', result: { failedAuthorizationRetention: 'PT1H' } });
    expect(await t.pending('bootstrap')).toEqual([]);
    const unknown = await t.call('bootstrap', 'GET', '/api/v1/admin/changes/00000000-0000-4000-8000-000000000000');
    expect(unknown.statusCode).toBe(404);
    expect((await t.call('bootstrap', 'POST', '/api/v1/admin/changes/00000000-0000-4000-8000-000000000000/confirmation')).statusCode).toBe(404);
  });

  it('after a crash between the confirmation and the effect, the next confirmation request applies it once', async () => {
    const t = await fourEyesLedger();
    ledger = t.ledger;
    const { eventStore } = t.ledger.services;
    // Crashed right after ChangeConfirmed: the effect was never written.
    const first = await t.propose('alice', 'PT1H');
    const now = t.time.clock().toISOString();
    await handleCommand({
      store: eventStore,
      streamName: streamNames.change(first.changeId),
      decider: changeDecider,
      command: { type: 'ConfirmChange', by: t.actor('bob'), roles: ['retention'], now },
      context: { actor: t.actor('bob'), now, correlationId: first.changeId },
    });
    expect(await t.retentionNow()).toBe('PT24H');
    expect((await t.call('bob', 'GET', `/api/v1/admin/changes/${first.changeId}`)).json()).toMatchObject({ status: 'confirmed', confirmedBy: t.actor('bob') });
    const finished = await t.confirm('dave', first.changeId);
    expect(finished.statusCode, finished.body).toBe(200);
    expect(finished.json()).toMatchObject({ status: 'applied', confirmedBy: t.actor('bob'), result: { failedAuthorizationRetention: 'PT1H' } });
    expect((await t.policyChanges()).map((e) => e.metadata.actor)).toEqual([t.actor('bob')]);
    expect(await t.confirm('dave', first.changeId).then((r) => r.statusCode)).toBe(409);

    // Crashed after the effect, before ChangeApplied, and the policy changed again since: the retry
    // finds its own effect by its id and does not shorten the retention a second time.
    const second = await t.propose('alice', 'PT30M');
    t.time.advance(60_000);
    const at = t.time.clock().toISOString();
    const confirmation = await handleCommand({
      store: eventStore,
      streamName: streamNames.change(second.changeId),
      decider: changeDecider,
      command: { type: 'ConfirmChange', by: t.actor('bob'), roles: ['retention'], now: at },
      context: { actor: t.actor('bob'), now: at, correlationId: second.changeId },
    });
    expect(confirmation.events).toHaveLength(1);
    // What the crashed attempt wrote: the shortening, under the id derived from the change.
    await t.ledger.services.retention.changePolicy(t.actor('bob'), { failedAuthorizationRetentionMs: HOUR / 2, purgeEveryMs: 300_000 }, at, second.changeId, {
      causationId: 'crashed',
      eventId: () => uuidFromName(`change-${second.changeId}:effect:0`),
    });
    await t.call('alice', 'PUT', '/api/v1/admin/retention', { failedAuthorizationRetention: 'P3D', purgeEvery: 'PT5M' });
    await caughtUp(t.ledger);
    expect(await t.retentionNow()).toBe('P3D');
    const retried = await t.confirm('dave', second.changeId);
    expect(retried.statusCode, retried.body).toBe(200);
    expect(retried.json()).toMatchObject({ status: 'applied', result: { failedAuthorizationRetention: 'P3D', reschedule: 'unchanged' } });
    expect(await t.retentionNow()).toBe('P3D');
    expect((await t.policyChanges()).map((e) => (e.data as { new: { failedAuthorizationRetentionMs: number } }).new.failedAuthorizationRetentionMs)).toEqual([HOUR, HOUR / 2, 72 * HOUR]);
  });
});
