import type { RetentionPolicy } from '../../../events/retention.ts';
import { adminActor } from '../../../events/admin.ts';
import { checkRetentionPolicy, effectivePolicy } from '../../../commands/retention.ts';
import { formatDuration } from '../../duration.ts';
import type { ActingAdmin, AdminChanges } from '../admins/changes.ts';
import type { ChangeEffect, ChangeKind } from '../admins/change-kinds.ts';
import type { RetentionStream, RetentionView } from './retention-stream.ts';
import type { BackgroundJobs } from './background-jobs.ts';

/** The four-eyes kind of a shorter retention: erasing sooner cannot be undone, so a second admin confirms it. */
export const RETENTION_SHORTENING = 'retention-shortening';

export type Reschedule = 'applied' | 'unchanged' | 'pending';

/** The policy after a change took effect, and whether the purge follows it yet. */
export interface AppliedRetention {
  status: 'applied';
  view: RetentionView;
  reschedule: Reschedule;
}

export type RetentionRequestOutcome = AppliedRetention | { status: 'awaiting-confirmation'; changeId: string; expiresAt: string };

export interface RetentionPolicyChangesDeps {
  stream: RetentionStream;
  backgroundJobs: Pick<BackgroundJobs, 'applyPolicy' | 'purgeSoon'>;
  waitForReadModels: (position: number, timeoutMs: number) => Promise<void>;
  changes: AdminChanges;
  environment: 'simulator' | 'integration' | 'production';
  clock: () => Date;
}

/**
 * Admins changing the retention policy. A shorter failed-authorization retention erases acts sooner
 * and cannot be taken back: it waits for a second admin (four eyes). A longer or equal one, or a new
 * purge interval alone, takes effect at once. In the simulator environment the bootstrap credential
 * applies a shortening at once too: there is no second person there, and integrators need no ceremony.
 */
export class RetentionPolicyChanges {
  constructor(private readonly deps: RetentionPolicyChangesDeps) {}

  /** Applies `policy`, or proposes it for confirmation when it shortens the retention in force. */
  async request(by: ActingAdmin, policy: RetentionPolicy, correlationId?: string): Promise<RetentionRequestOutcome> {
    checkRetentionPolicy(policy);
    const inForce = effectivePolicy((await this.deps.stream.current()).state, this.deps.stream.defaults);
    const shorter = policy.failedAuthorizationRetentionMs < inForce.failedAuthorizationRetentionMs;
    if (shorter && !(by.bootstrap && this.deps.environment === 'simulator')) {
      const proposed = await this.deps.changes.propose(by, RETENTION_SHORTENING, { policy: { ...policy }, inForce: { ...inForce } });
      await this.deps.waitForReadModels(proposed.position, 2_000).catch(() => undefined);
      return { status: 'awaiting-confirmation', changeId: proposed.changeId, expiresAt: proposed.expiresAt };
    }
    return this.apply(adminActor(by.adminId), policy, this.deps.clock().toISOString(), correlationId);
  }

  /** The four-eyes kind the composition root registers. */
  shorteningKind(): ChangeKind {
    return {
      kind: RETENTION_SHORTENING,
      requiredRole: 'retention',
      apply: async (payload, effect) => {
        const outcome = await this.applyConfirmed(policyOf(payload.policy), effect);
        return retentionResult(outcome.view, outcome.reschedule);
      },
    };
  }

  private async applyConfirmed(policy: RetentionPolicy, effect: ChangeEffect): Promise<AppliedRetention> {
    const eventId = effect.eventId(0);
    // An earlier attempt may have written it; the stream tells (read whole, but only after a crash mid-way).
    if (effect.retry && (await this.deps.stream.holdsEvent(eventId))) {
      return { status: 'applied', view: this.deps.stream.view((await this.deps.stream.replayed()).state), reschedule: 'unchanged' };
    }
    return this.apply(effect.actor, policy, effect.now, effect.correlationId, { causationId: effect.causationId, eventId: () => eventId });
  }

  /** Records the policy and makes the purge follow it in every process at once. */
  private async apply(
    actor: string,
    policy: RetentionPolicy,
    now: string,
    correlationId?: string,
    cause?: { causationId: string; eventId: () => string },
  ): Promise<AppliedRetention> {
    const decision = await this.deps.stream.changePolicy(actor, policy, now, correlationId, cause);
    const change = decision.events.find((e) => e.type === 'RetentionPolicyChanged');
    let reschedule: Reschedule = 'unchanged';
    if (change?.type === 'RetentionPolicyChanged') {
      // Later reads (GET, the purge) take the snapshot the projections keep: let it catch up first.
      await this.deps.waitForReadModels(decision.position!, 2_000).catch(() => undefined);
      if (change.data.old.purgeEveryMs !== change.data.new.purgeEveryMs) {
        // A new interval runs the purge at once, with the new retention too.
        reschedule = await this.deps.backgroundJobs.applyPolicy(change.data.new);
      } else {
        // Same interval: the next run would apply the new retention; ask for one now.
        reschedule = 'applied';
        this.deps.backgroundJobs.purgeSoon();
      }
    }
    return { status: 'applied', view: this.deps.stream.view(decision.known.state), reschedule };
  }
}

/** The retention as admins read it: durations in ISO 8601. */
export function retentionResult(view: RetentionView, reschedule?: Reschedule): Record<string, unknown> & { failedAuthorizationRetention: string; purgeEvery: string; purgedActs: number } {
  return {
    failedAuthorizationRetention: formatDuration(view.policy.failedAuthorizationRetentionMs),
    purgeEvery: formatDuration(view.policy.purgeEveryMs),
    ...(view.changedAt ? { changedAt: view.changedAt } : {}),
    ...(view.changedBy ? { changedBy: view.changedBy } : {}),
    purgedActs: view.purgedActs,
    ...(view.lastPurgeAt ? { lastPurgeAt: view.lastPurgeAt } : {}),
    ...(reschedule ? { reschedule } : {}),
  };
}

function policyOf(value: unknown): RetentionPolicy {
  const p = value as Partial<RetentionPolicy> | undefined;
  const policy = { failedAuthorizationRetentionMs: Number(p?.failedAuthorizationRetentionMs), purgeEveryMs: Number(p?.purgeEveryMs) };
  checkRetentionPolicy(policy);
  return policy;
}
