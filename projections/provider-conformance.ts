import { streamId, type RecordedEvent } from '../events/envelope.ts';
import type { ConformanceReadItem } from '../events/provider.ts';
import type { Change, Projection } from './projection.ts';

/**
 * The conformance checklist items a provider's own act traffic shows: the act events, and the two
 * reads, which the application service (src/app/providers/conformance.ts) records as
 * ConformanceObserved in the provider's stream.
 */
export const CONFORMANCE_ITEMS = [
  'act-registered',
  'code-flow-authorized',
  'wrong-code-handled',
  'authentication-authorized',
  'failed-authentication-read-back',
  'results-read',
] as const;
export type ConformanceItem = (typeof CONFORMANCE_ITEMS)[number];
/** The items act events show. */
export type ConformanceEventItem = Exclude<ConformanceItem, ConformanceReadItem>;

/** Per provider, when each item was seen last (so that an item seen before access was granted is seen again inside the window). */
export interface ProviderConformanceDoc {
  providerId: string;
  seen: Partial<Record<ConformanceItem, string>>;
}

/**
 * Per act, what the checklist still needs of it: its provider (only ActRegistered says), whether a
 * wrong code was answered, and whether an authentication failed or was cancelled. Deleted once the
 * act is authorized, or failed without such an authentication, so that only the acts a read-back
 * may still be about stay.
 */
export interface ConformanceActDoc {
  actId: string;
  providerId: string;
  mismatchSeen?: boolean;
  /** When an authentication of the act came back failed or cancelled. */
  failedAuthenticationAt?: string;
}

export const PROVIDER_CONFORMANCE = 'provider_conformance';
export const CONFORMANCE_ACTS = 'provider_conformance_acts';

export const providerConformanceProjection: Projection = {
  name: 'provider-conformance',
  version: 2,
  collections: [
    { name: PROVIDER_CONFORMANCE, indexes: ['providerId'] },
    { name: CONFORMANCE_ACTS, indexes: ['actId', 'providerId'] },
  ],
  handles: ['ActRegistered', 'CodeAttempted', 'AuthenticationCompleted', 'ActAuthorized', 'ActAuthorizationFailed', 'RetentionPurgeExecuted', 'ConformanceObserved'],
  async project(event: RecordedEvent, read): Promise<Change[]> {
    if (event.type === 'ConformanceObserved') {
      return [await seen(read, String(event.data.providerId), event.data.item as ConformanceReadItem, String(event.data.at))];
    }
    if (event.type === 'RetentionPurgeExecuted') {
      const ids = (event.data.purgedActIds as string[] | undefined) ?? [];
      return ids.map((id): Change => ({ collection: CONFORMANCE_ACTS, op: 'delete', id }));
    }
    const actId = streamId(event.streamName, 'act');
    if (!actId) return [];
    if (event.type === 'ActRegistered') {
      const providerId = String(event.data.providerId);
      const doc: ConformanceActDoc = { actId, providerId };
      return [{ collection: CONFORMANCE_ACTS, op: 'put', id: actId, doc }, await seen(read, providerId, 'act-registered', String(event.data.registeredAt))];
    }
    const act = await read.get<ConformanceActDoc>(CONFORMANCE_ACTS, actId);
    if (!act) return [];
    const mark = (item: ConformanceEventItem, at: unknown) => seen(read, act.providerId, item, String(at));
    switch (event.type) {
      case 'CodeAttempted':
        if (event.data.outcome === 'mismatch') return act.mismatchSeen ? [] : [{ collection: CONFORMANCE_ACTS, op: 'merge', id: actId, doc: { mismatchSeen: true } }];
        // A right code after a wrong one: the act is authorized by this same try, so ActAuthorized follows.
        return event.data.outcome === 'matched' && act.mismatchSeen ? [await mark('wrong-code-handled', event.data.attemptedAt)] : [];
      case 'AuthenticationCompleted':
        return event.data.outcome === 'failed' || event.data.outcome === 'cancelled'
          ? [{ collection: CONFORMANCE_ACTS, op: 'merge', id: actId, doc: { failedAuthenticationAt: String(event.data.completedAt) } }]
          : [];
      case 'ActAuthorized': {
        const item = event.data.method === 'authentication' ? 'authentication-authorized' : 'code-flow-authorized';
        return [await mark(item, event.data.authorizedAt), { collection: CONFORMANCE_ACTS, op: 'delete', id: actId }];
      }
      case 'ActAuthorizationFailed':
        // A failed authentication's act stays: the provider's read of it is what the checklist waits for.
        return act.failedAuthenticationAt ? [] : [{ collection: CONFORMANCE_ACTS, op: 'delete', id: actId }];
      default:
        return [];
    }
  },
};

/** Sets one item's time on the provider's document, creating it when missing. */
async function seen(read: Parameters<Projection['project']>[1], providerId: string, item: ConformanceItem, at: string): Promise<Change> {
  const current = await read.get<ProviderConformanceDoc>(PROVIDER_CONFORMANCE, providerId);
  const doc: ProviderConformanceDoc = { providerId, seen: { ...current?.seen, [item]: at } };
  return { collection: PROVIDER_CONFORMANCE, op: 'put', id: providerId, doc };
}
