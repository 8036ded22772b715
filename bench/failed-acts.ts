import { randomBytes } from 'node:crypto';
import { streamNames, type NewEvent } from '../events/envelope.ts';
import type { ActEvent, FailureReason } from '../events/act.ts';
import { currentSchemaVersion } from '../events/upcasters.ts';
import { newId } from '../src/app/ids.ts';
import type { LedgerServices } from '../src/app/services.ts';

export interface FailedActsOptions {
  count: number;
  providerId: string;
  providerName?: string;
  failedAt: Date;
  reason?: FailureReason;
  /** Acts appended at once: their keys and their appends each share a commit. */
  batchSize?: number;
}

/**
 * Appends `count` failed acts straight to the event store, sealed through the act codec as the
 * ledger seals them (a data key each), much faster than through the API: a fixture for the purge's
 * bench and tests. Answers the act ids in append order.
 */
export async function appendFailedActs(services: Pick<LedgerServices, 'eventStore' | 'actCodec'>, options: FailedActsOptions): Promise<string[]> {
  const { eventStore, actCodec } = services;
  const failedAt = options.failedAt.toISOString();
  const registeredAt = new Date(options.failedAt.getTime() - 60_000).toISOString();
  const expiresAt = new Date(options.failedAt.getTime() + 86_400_000).toISOString();
  const batchSize = options.batchSize ?? 1000;
  const ids: string[] = [];
  const metadata = (type: ActEvent['type'], occurredAt: string): NewEvent['metadata'] => ({
    eventId: newId(),
    correlationId: newId(),
    occurredAt,
    actor: options.providerId,
    schemaVersion: currentSchemaVersion(type),
  });

  const appendOne = async (actId: string) => {
    const stream = streamNames.act(actId);
    const registered: ActEvent = {
      type: 'ActRegistered',
      data: {
        actId,
        providerId: options.providerId,
        providerName: options.providerName ?? 'Seeded e-service',
        methods: ['authentication'],
        loa: null,
        gateway: 'national',
        requestDigest: randomBytes(16).toString('hex'),
        attemptsAllowed: 5,
        registeredAt,
        expiresAt,
        sepp: `seeded-sepp-${actId}`,
        aifo: `seeded-aifo-${actId}`,
        documentHash: randomBytes(32).toString('hex'),
        name: 'Seeded act',
        description: 'Appended by the failed-acts fixture',
      },
    };
    const failed: ActEvent = { type: 'ActAuthorizationFailed', data: { reason: options.reason ?? 'expired', failedAt } };
    const events: NewEvent[] = [
      { ...(await actCodec.encode(registered, stream)), metadata: metadata(registered.type, registeredAt) },
      { ...(await actCodec.encode(failed, stream)), metadata: metadata(failed.type, failedAt) },
    ];
    await eventStore.append(stream, events, 'no-stream');
  };

  for (let start = 0; start < options.count; start += batchSize) {
    const batch = Array.from({ length: Math.min(batchSize, options.count - start) }, () => newId());
    await Promise.all(batch.map(appendOne));
    ids.push(...batch);
  }
  return ids;
}
