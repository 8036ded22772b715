import {
  CONFORMANCE_ACTS,
  CONFORMANCE_ITEMS,
  PROVIDER_CONFORMANCE,
  type ConformanceActDoc,
  type ConformanceItem,
  type ProviderConformanceDoc,
} from '../../../projections/provider-conformance.ts';
import type { ConformanceReadItem, Environment } from '../../../events/provider.ts';
import { environmentAccess } from '../../../commands/provider-onboarding.ts';
import type { ActView } from '../acts/act-service.ts';
import type { EventStore } from '../../ports/event-store.ts';
import type { ReadModelStore } from '../../ports/read-model-store.ts';
import type { Projector } from '../projecting/projection-runner.ts';
import type { ProviderDirectory } from './provider-directory.ts';

export const CONFORMANCE_ACTOR = 'system:conformance';
/** How long a checklist read waits for the read model to catch up with the log. */
const CATCH_UP_MS = 2000;

export interface ConformanceChecklist {
  environment: Environment;
  passed: boolean;
  passedAt?: string;
  items: Array<{ item: ConformanceItem; seen: boolean; at?: string }>;
  missing: ConformanceItem[];
}

/**
 * Conformance, recorded by the ledger itself in the simulator and in integration: the act events
 * show most of the checklist (the provider-conformance read model); the provider's reads of its
 * acts show the rest. A read that shows an item the checklist does not have inside the current
 * support window is recorded (ConformanceObserved, through the provider decider): at most once per
 * item and window, so reads stay reads, and every process and a restart know what was seen. Once
 * every item is seen inside the window, ConformancePassed is recorded, once.
 */
export class Conformance {

  constructor(
    private readonly deps: {
      environment: Environment;
      store: EventStore;
      readModels: ReadModelStore;
      projections: Projector;
      providers: ProviderDirectory;
      clock: () => Date;
    },
  ) {}

  /** Conformance is watched only where it is passed. */
  get watching(): boolean {
    return this.deps.environment !== 'production';
  }

  /** The provider read one of its acts: note what that read shows, then see whether the checklist is complete. */
  async actRead(providerId: string, act: ActView): Promise<void> {
    if (!this.watching || act.status === 'pending') return;
    const provider = await this.deps.providers.get(providerId);
    const { environment } = this.deps;
    if (!provider.exists || provider.onboarding.conformance[environment]) return;
    const now = this.deps.clock().toISOString();
    if (environmentAccess(provider, environment, now) !== 'ok') return;
    const grantedAt = Date.parse(provider.onboarding.access[environment]!.grantedAt);
    await this.caughtUp();
    const shown: ConformanceReadItem[] = ['results-read'];
    const doc = await this.deps.readModels.get<ConformanceActDoc>(CONFORMANCE_ACTS, act.actId);
    if (doc?.providerId === providerId && doc.failedAuthenticationAt && act.status === 'failed') shown.push('failed-authentication-read-back');
    const seen = (await this.deps.readModels.get<ProviderConformanceDoc>(PROVIDER_CONFORMANCE, providerId))?.seen ?? {};
    const fresh = shown.filter((item) => !(seen[item] !== undefined && Date.parse(seen[item]) >= grantedAt));
    for (const item of fresh) {
      await this.deps.providers.execute(providerId, { type: 'ObserveConformance', environment, item, now }, { actor: CONFORMANCE_ACTOR, now });
    }
    // The checklist reads the read model: let it take in what was just recorded.
    if (fresh.length > 0) await this.caughtUp();
    await this.check(providerId);
  }

  /** The provider's checklist; records ConformancePassed first when it has just become complete. */
  async checklist(providerId: string): Promise<ConformanceChecklist> {
    if (this.watching) {
      await this.caughtUp();
      await this.check(providerId);
    }
    return this.view(providerId);
  }

  /** Records ConformancePassed when every item was seen inside the support window; silent when there is no window. */
  private async check(providerId: string): Promise<void> {
    const provider = await this.deps.providers.get(providerId);
    if (!provider.exists || provider.onboarding.conformance[this.deps.environment]) return;
    const now = this.deps.clock().toISOString();
    if (environmentAccess(provider, this.deps.environment, now) !== 'ok') return;
    const { missing } = await this.items(providerId, provider.onboarding.access[this.deps.environment]!.grantedAt);
    if (missing.length > 0) return;
    await this.deps.providers.execute(providerId, { type: 'RecordConformancePassed', environment: this.deps.environment, now }, { actor: CONFORMANCE_ACTOR, now });
  }

  private async view(providerId: string): Promise<ConformanceChecklist> {
    const { environment } = this.deps;
    const provider = await this.deps.providers.get(providerId);
    const passedAt = provider.onboarding.conformance[environment];
    if (passedAt) {
      // Passed: the record is the decider's; the items are all seen by then.
      const items = CONFORMANCE_ITEMS.map((item) => ({ item, seen: true }));
      return { environment, passed: true, passedAt, items, missing: [] };
    }
    const grantedAt = provider.onboarding.access[environment]?.grantedAt;
    return { environment, passed: false, ...(await this.items(providerId, grantedAt)) };
  }

  /** Each item and when it was seen last; one seen before access was granted does not count. */
  private async items(providerId: string, grantedAt: string | undefined) {
    const doc = await this.deps.readModels.get<ProviderConformanceDoc>(PROVIDER_CONFORMANCE, providerId);
    const seen: Partial<Record<ConformanceItem, string>> = { ...doc?.seen };
    const items = CONFORMANCE_ITEMS.map((item) => {
      const at = seen[item];
      const counts = at !== undefined && grantedAt !== undefined && Date.parse(at) >= Date.parse(grantedAt);
      return counts ? { item, seen: true, at } : { item, seen: false };
    });
    return { items, missing: items.filter((i) => !i.seen).map((i) => i.item) };
  }

  /**
   * Waits a little for the read model to reach the log's head, so that a request's own writes are
   * in it. Past that, it goes on with what the read model has: the checklist may lag a moment
   * (another process keeping the projections, one that stalls), and the next request catches up.
   */
  private async caughtUp(): Promise<void> {
    await this.deps.projections.waitFor(await this.deps.store.headPosition(), CATCH_UP_MS).catch(() => undefined);
  }
}
