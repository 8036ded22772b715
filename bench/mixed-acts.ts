import { randomBytes } from 'node:crypto';
import { streamNames, type NewEvent } from '../events/envelope.ts';
import type { ActEvent } from '../events/act.ts';
import { currentSchemaVersion } from '../events/upcasters.ts';
import { newId } from '../src/app/ids.ts';
import type { LedgerServices } from '../src/app/services.ts';

/** How each act of the mix ends; they take turns in this order. */
export const ACT_ENDINGS = ['authorized', 'refused', 'expired', 'expired-with-code-pending', 'cancelled', 'pending'] as const;
export type ActEnding = (typeof ACT_ENDINGS)[number];

export interface MixedActsOptions {
  count: number;
  providerId: string;
  /** When the acts were registered (the failed ones fail a minute later): old enough, and a purge erases them. */
  registeredAt: Date;
  batchSize?: number;
  /** The endings the acts take turns in; every ending, in ACT_ENDINGS order, unless given. */
  endings?: readonly ActEnding[];
}

/**
 * Appends `count` acts of every ending straight to the event store, sealed through the act codec
 * as the ledger seals them (a data key each): authorized by code, refused after wrong codes,
 * expired (one kind with its code's delivery never recorded), cancelled, still pending. Much
 * faster than through the API: a fixture for the replay's bench and tests. Answers ids by ending.
 */
export async function appendMixedActs(services: Pick<LedgerServices, 'eventStore' | 'actCodec'>, options: MixedActsOptions): Promise<Record<ActEnding, string[]>> {
  const { eventStore, actCodec } = services;
  const at = (offsetMs: number) => new Date(options.registeredAt.getTime() + offsetMs).toISOString();
  const byEnding = Object.fromEntries(ACT_ENDINGS.map((e) => [e, [] as string[]])) as Record<ActEnding, string[]>;

  const eventsOf = (actId: string, ending: ActEnding): Array<[ActEvent, string]> => {
    const registered: ActEvent = {
      type: 'ActRegistered',
      data: {
        actId,
        providerId: options.providerId,
        providerName: 'Seeded e-service',
        methods: ['authentication', 'sms'],
        loa: 'substantial',
        gateway: 'national',
        requestDigest: randomBytes(16).toString('hex'),
        attemptsAllowed: 3,
        registeredAt: at(0),
        expiresAt: at(86_400_000),
        sepp: `seeded-sepp-${actId}`,
        aifo: `seeded-aifo-${actId.slice(0, 4)}`,
        documentHash: randomBytes(32).toString('hex'),
        name: `Seeded act ${ending}`,
        description: 'Appended by the mixed-acts fixture',
      },
    };
    const codeId = newId();
    const issued: ActEvent = {
      type: 'CodeIssued',
      data: { codeId, channel: 'sms', verifier: randomBytes(32).toString('hex'), issuedAt: at(1_000), expiresAt: at(301_000), destinationHint: '+420 *** *** 123' },
    };
    const delivered: ActEvent = { type: 'CodeDelivered', data: { codeId, channel: 'sms', deliveredAt: at(2_000), attempts: 1 } };
    const attempt = (outcome: 'matched' | 'mismatch', attemptsLeft: number, offset: number): ActEvent => ({
      type: 'CodeAttempted',
      data: { codeId, outcome, attemptsLeft, attemptedAt: at(offset) },
    });
    const failed = (reason: 'attempts-exhausted' | 'expired' | 'cancelled', offset: number): ActEvent => ({ type: 'ActAuthorizationFailed', data: { reason, failedAt: at(offset) } });
    const stamp = (events: ActEvent[], offsets: number[]) => events.map((e, i): [ActEvent, string] => [e, at(offsets[i]!)]);
    switch (ending) {
      case 'authorized':
        return stamp([registered, issued, delivered, attempt('mismatch', 2, 3_000), attempt('matched', 1, 4_000), { type: 'ActAuthorized', data: { method: 'sms', loa: null, authorizedAt: at(4_000) } }], [0, 1_000, 2_000, 3_000, 4_000, 4_000]);
      case 'refused':
        return stamp([registered, issued, delivered, attempt('mismatch', 2, 3_000), attempt('mismatch', 1, 4_000), attempt('mismatch', 0, 5_000), failed('attempts-exhausted', 5_000)], [0, 1_000, 2_000, 3_000, 4_000, 5_000, 5_000]);
      case 'expired':
        return stamp([registered, failed('expired', 60_000)], [0, 60_000]);
      case 'expired-with-code-pending':
        return stamp([registered, issued, failed('expired', 60_000)], [0, 1_000, 60_000]);
      case 'cancelled':
        return stamp([registered, failed('cancelled', 30_000)], [0, 30_000]);
      case 'pending':
        return stamp([registered], [0]);
    }
  };

  const appendOne = async (actId: string, ending: ActEnding) => {
    const stream = streamNames.act(actId);
    const events: NewEvent[] = [];
    for (const [event, occurredAt] of eventsOf(actId, ending)) {
      const metadata = { eventId: newId(), correlationId: newId(), occurredAt, actor: options.providerId, schemaVersion: currentSchemaVersion(event.type) };
      events.push({ ...(await actCodec.encode(event, stream)), metadata });
    }
    await eventStore.append(stream, events, 'no-stream');
  };

  const batchSize = options.batchSize ?? 500;
  const endings = options.endings ?? ACT_ENDINGS;
  for (let start = 0; start < options.count; start += batchSize) {
    const batch = Array.from({ length: Math.min(batchSize, options.count - start) }, (_, i) => ({ actId: newId(), ending: endings[(start + i) % endings.length]! }));
    await Promise.all(batch.map(({ actId, ending }) => appendOne(actId, ending)));
    for (const { actId, ending } of batch) byEnding[ending].push(actId);
  }
  return byEnding;
}
