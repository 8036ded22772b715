import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { streamNames } from '../../events/envelope.ts';
import { REGISTRY_AUDIT_SECTOR } from '../../events/registry.ts';
import type { CodeChannel } from '../../events/act.ts';
import type { Ledger } from '../../src/composition/ledger.ts';
import { ActService, view } from '../../src/app/acts/act-service.ts';
import { CodeDelivery, NOTIFIER_ACTOR } from '../../src/app/acts/code-delivery.ts';
import { providerSector } from '../../src/app/citizens/pseudonyms.ts';
import { InProcessTaskQueue } from '../../src/adapters/inprocess/task-queue.ts';
import { openSqlite } from '../../src/adapters/sqlite/database.ts';
import { SqliteSendLimiter } from '../../src/adapters/sqlite/send-limiter.ts';
import type { LedgerMeter } from '../../src/ports/metrics.ts';
import type { TaskQueue } from '../../src/ports/task-queue.ts';
import { registerProvider, testLedger, type ProviderIdentity } from '../support/ledger.ts';
import { GatewayNotifier, startDeliveryGateway, type DeliveryGateway } from '../support/delivery-gateway.ts';
import { codeInText, eventually } from '../support/delivery.ts';

/**
 * The delivery worker against a gateway process of the test's own (503 with Retry-After, 400,
 * UNREGISTERED), behind a minimal notifier; the act service and the worker share the ledger's
 * stores and registry, and a task queue of their own.
 */
describe('code delivery as a task, against a gateway process', () => {
  let ledger: Ledger;
  let gateway: DeliveryGateway;
  let provider: ProviderIdentity;
  let tasks: TaskQueue;
  let retried: CodeChannel[];
  let acts: ActService;
  let person = 0;

  beforeAll(async () => {
    ledger = await testLedger({}, { inMemory: true });
    gateway = await startDeliveryGateway();
    provider = await registerProvider(ledger, { name: 'Building office' });
  });
  afterAll(async () => {
    await gateway.stop();
    await ledger.close();
  });

  const start = () => {
    const s = ledger.services;
    tasks = new InProcessTaskQueue();
    retried = [];
    const meter: LedgerMeter = { deliveryRetried: (channel) => void retried.push(channel), captchaRefused: () => undefined };
    const deliveryKey = s.keys.secrets.deliveryKey;
    acts = new ActService({
      store: s.eventStore,
      codec: s.actCodec,
      providers: s.providers,
      pseudonyms: s.pseudonyms,
      tasks,
      deliveryKey,
      sendLimiter: new SqliteSendLimiter(openSqlite(':memory:')),
      verifierKey: s.keys.secrets.codeVerifierKey,
      policy: { actLifetimeMs: 3_600_000, code: { length: 6, ttlMs: 300_000, attempts: 5, sendsPerHour: 100 } },
      clock: () => new Date(),
    });
    new CodeDelivery({
      tasks,
      store: s.eventStore,
      codec: s.actCodec,
      registry: s.citizens,
      registryAudit: s.registryAudit,
      notifiers: { sms: new GatewayNotifier(gateway, '/sms'), 'mobile-key': new GatewayNotifier(gateway, '/push') },
      homeCountry: s.config.homeCountry,
      deliveryKey,
      clock: () => new Date(),
      meter,
      retry: { baseDelayMs: 50, maxDelayMs: 200, maxAttempts: 5, minLifeLeftMs: 1_000 },
    }).start();
  };
  afterEach(async () => {
    await tasks.close();
  });

  /** A person of this test's own, with a phone and the given Mobile Key tokens (oldest first), and an act for them. */
  const actFor = async (fcmTokens: string[] = []) => {
    const s = ledger.services;
    const aifo = `delivery-person-${++person}`;
    const phone = `+4207770000${String(person).padStart(2, '0')}`;
    await s.citizens.add({ aifo, displayName: 'Delivery test', country: 'CZ', phone, phoneVerified: true, phoneAllowed: true, mobileKeys: [] }, new Date().toISOString());
    for (const [i, fcmToken] of fcmTokens.entries()) await s.citizens.addMobileKey(aifo, { fcmToken, label: `device ${i}` }, new Date(Date.parse('2026-01-01T00:00:00Z') + i * 60_000).toISOString());
    const sepp = await s.pseudonyms.seppFor(providerSector(provider.providerId), (await s.citizens.get(aifo))!);
    const { act } = await acts.register(provider.providerId, { sepp, documentHash: 'a'.repeat(64), name: 'Building permit', description: '' });
    return { aifo, phone, actId: act.actId, methods: act.methods };
  };

  const settled = (actId: string, codeId: string) =>
    eventually(`code ${codeId} delivered or failed`, async () => {
      const code = (await acts.get(provider.providerId, actId)).codes.find((c) => c.codeId === codeId);
      return code?.delivery === 'pending' ? undefined : code;
    });
  const eventsOf = async (actId: string, type: string) => (await ledger.services.eventStore.readStream(streamNames.act(actId))).filter((e) => e.type === type);
  const receivedFor = async (path: '/sms' | '/push', reference: string) => {
    const { received, problems } = await gateway.received();
    expect(problems).toEqual([]);
    return received.filter((r) => r.path === path && (r.idempotencyKey === reference || (r.body.data as { actId?: string } | undefined)?.actId === reference));
  };

  it('answers pending at once, and after a 503 with Retry-After the retry delivers it: sent, after two attempts', async () => {
    start();
    const { actId, phone } = await actFor();
    await gateway.script('/sms', [{ status: 503, retryAfter: 1 }]);
    const issued = await acts.issueCode(provider.providerId, actId, 'sms');
    expect(issued.delivery).toBe('pending');
    expect((await acts.get(provider.providerId, actId)).codes).toMatchObject([{ codeId: issued.codeId, delivery: 'pending' }]);

    const code = await settled(actId, issued.codeId);
    expect(code).toMatchObject({ delivery: 'sent', channel: 'sms' });
    const attempts = await receivedFor('/sms', issued.codeId);
    expect(attempts).toHaveLength(2);
    // The same message both times, to the person's phone; the retry waited for Retry-After.
    expect(attempts.map((a) => a.body.to)).toEqual([phone, phone]);
    expect(attempts[1]!.body.text).toBe(attempts[0]!.body.text);
    expect(String(attempts[0]!.body.text)).toContain('Building office');
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(950);
    const [delivered] = await eventsOf(actId, 'CodeDelivered');
    expect(delivered!.data).toMatchObject({ codeId: issued.codeId, channel: 'sms', attempts: 2 });
    expect(delivered!.metadata.actor).toBe(NOTIFIER_ACTOR);
    expect(retried).toEqual(['sms']);
  });

  it('a 400 fails the delivery at once: CodeDeliveryFailed with the reason, and the code cannot be confirmed', async () => {
    start();
    const { actId } = await actFor();
    await gateway.script('/sms', [{ status: 400, body: { error: 'invalid number' } }]);
    const issued = await acts.issueCode(provider.providerId, actId, 'sms');
    const code = await settled(actId, issued.codeId);
    expect(code).toMatchObject({ delivery: 'failed', failure: { reason: 'gateway answered 400' } });
    expect(await receivedFor('/sms', issued.codeId)).toHaveLength(1);
    const [failed] = await eventsOf(actId, 'CodeDeliveryFailed');
    expect(failed!.data).toMatchObject({ codeId: issued.codeId, reason: 'gateway answered 400', attempts: 1 });
    expect(failed!.metadata.actor).toBe(NOTIFIER_ACTOR);
    expect(retried).toEqual([]);
    const { state } = await acts.load(actId);
    expect(state.codes[issued.codeId]!.superseded).toBe(true);
    expect(view(state).status).toBe('pending');
  });

  it('a gateway that stays busy fails the delivery once the attempts are used up, each retry counted', async () => {
    start();
    const { actId } = await actFor();
    await gateway.script('/sms', Array.from({ length: 5 }, () => ({ status: 503 })));
    const issued = await acts.issueCode(provider.providerId, actId, 'sms');
    const code = await settled(actId, issued.codeId);
    expect(code).toMatchObject({ delivery: 'failed', failure: { reason: 'gave up after 5 attempts: gateway answered 503' } });
    expect(await receivedFor('/sms', issued.codeId)).toHaveLength(5);
    expect(retried).toEqual(['sms', 'sms', 'sms', 'sms']);
  });

  it('Mobile Key: the newest device the push service no longer knows leaves the registry, and the next one gets the code', async () => {
    start();
    const { aifo, actId } = await actFor(['token-older', 'token-newer']);
    await gateway.unregister(['token-newer']);
    const issued = await acts.issueCode(provider.providerId, actId, 'mobile-key');
    const code = await settled(actId, issued.codeId);
    expect(code).toMatchObject({ delivery: 'sent', channel: 'mobile-key' });
    expect((await receivedFor('/push', actId)).map((r) => r.body.token)).toEqual(['token-newer', 'token-older']);
    const citizen = (await ledger.services.citizens.get(aifo))!;
    expect(citizen.mobileKeys.map((d) => d.fcmToken)).toEqual(['token-older']);
    expect(citizen.removedMobileKeys).toMatchObject([{ label: 'device 1', reason: 'unregistered' }]);
    // The removal is in the log, by the notifier, under the person's registry pseudonym.
    const removals = await ledger.services.eventStore.readStream(streamNames.registry(ledger.services.pseudonyms.bsi(REGISTRY_AUDIT_SECTOR, aifo)));
    expect(removals.map((e) => ({ type: e.type, actor: e.metadata.actor, reason: e.data.reason, deviceId: e.data.deviceId }))).toEqual([
      { type: 'MobileKeyRemoved', actor: NOTIFIER_ACTOR, reason: 'unregistered', deviceId: citizen.removedMobileKeys![0]!.deviceId },
    ]);
    expect((await eventsOf(actId, 'CodeDelivered'))[0]!.data).toMatchObject({ attempts: 2 });
  });

  it('Mobile Key: with no device left the delivery fails as unregistered, and new acts no longer offer mobile-key', async () => {
    start();
    const { aifo, actId, methods } = await actFor(['token-gone']);
    expect(methods).toContain('mobile-key');
    await gateway.unregister(['token-gone']);
    const issued = await acts.issueCode(provider.providerId, actId, 'mobile-key');
    const code = await settled(actId, issued.codeId);
    expect(code).toMatchObject({ delivery: 'failed', failure: { reason: 'unregistered' } });
    expect((await ledger.services.citizens.get(aifo))!.mobileKeys).toEqual([]);
    const sepp = await ledger.services.pseudonyms.seppFor(providerSector(provider.providerId), (await ledger.services.citizens.get(aifo))!);
    const next = await acts.register(provider.providerId, { sepp, documentHash: 'b'.repeat(64), name: 'Another permit', description: '' });
    expect(next.act.methods).toEqual(['authentication', 'sms']);
  });

  it('the task carries the code only sealed, and a delivery already recorded is not sent again', async () => {
    start();
    const { actId } = await actFor();
    const seen: Array<Record<string, unknown>> = [];
    const original = tasks.enqueue.bind(tasks);
    tasks.enqueue = async (queue, taskId, payload, options) => {
      seen.push({ ...payload });
      return original(queue, taskId, payload, options);
    };
    const issued = await acts.issueCode(provider.providerId, actId, 'sms');
    await settled(actId, issued.codeId);
    const [message] = await receivedFor('/sms', issued.codeId);
    const sentCode = codeInText(String(message!.body.text))!;
    expect(Object.keys(seen[0]!).sort()).toEqual(['actId', 'channel', 'codeId', 'sealedCode']);
    expect(JSON.stringify(seen)).not.toContain(sentCode);
    // The same task again (a run after a crash): nothing is sent, nothing recorded.
    await original('code-delivery', `${issued.codeId}`, seen[0] as Record<string, string>);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await receivedFor('/sms', issued.codeId)).toHaveLength(1);
    expect(await eventsOf(actId, 'CodeDelivered')).toHaveLength(1);
  });
});
