import type { LedgerConfig } from '../config.ts';
import type { EventStore } from '../ports/event-store.ts';
import type { ReadModelStore } from '../ports/read-model-store.ts';
import type { Projector } from '../app/projecting/projection-runner.ts';
import type { LedgerServices } from '../app/services.ts';
import { AdminChanges } from '../app/admins/changes.ts';
import { ChangeKinds } from '../app/admins/change-kinds.ts';
import { RetentionPolicyChanges } from '../app/retention/retention-policy-change.ts';
import { ProviderOnboarding } from '../app/providers/onboarding.ts';

/**
 * Four eyes: the kinds of change that wait for a second admin, each registered by the service that
 * owns it (a later kind is one more `register` here), and the services that propose and confirm them.
 */
export function buildChanges(
  config: LedgerConfig,
  deps: Pick<LedgerServices, 'retention' | 'backgroundJobs' | 'clock' | 'providers'> & { eventStore: EventStore; readModels: ReadModelStore; projectionRunner: Projector },
): Pick<LedgerServices, 'changes' | 'retentionPolicy' | 'onboarding'> {
  const kinds = new ChangeKinds();
  const changes = new AdminChanges({ eventStore: deps.eventStore, readModels: deps.readModels, kinds, confirmationTtlMs: config.changeConfirmationTtlMs, clock: deps.clock });
  const retentionPolicy = new RetentionPolicyChanges({
    stream: deps.retention,
    backgroundJobs: deps.backgroundJobs,
    waitForReadModels: (position, timeoutMs) => deps.projectionRunner.waitFor(position, timeoutMs),
    changes,
    environment: config.environment,
    clock: deps.clock,
  });
  kinds.register(retentionPolicy.shorteningKind());
  const onboarding = new ProviderOnboarding({
    store: deps.eventStore,
    providers: deps.providers,
    readModels: deps.readModels,
    waitForReadModels: (position, timeoutMs) => deps.projectionRunner.waitFor(position, timeoutMs),
    changes,
    environment: config.environment,
    clock: deps.clock,
  });
  for (const kind of onboarding.changeKinds()) kinds.register(kind);
  return { changes, retentionPolicy, onboarding };
}
