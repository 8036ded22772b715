import type { DomainEvent } from './envelope.ts';

/** How long failed authorizations are kept, and how often the purge looks for expired ones. Whole milliseconds. */
export interface RetentionPolicy {
  failedAuthorizationRetentionMs: number;
  purgeEveryMs: number;
}

/**
 * The `retention` stream. A purge record names the acts it erased and the stretch of the global log
 * their failures lie in (`fromPosition`..`throughPosition`): acts are purged in log order, so the
 * highest position recorded tells which acts are already accounted for.
 */
export type RetentionEvent =
  | DomainEvent<'RetentionPolicyChanged', { by: string; old: RetentionPolicy; new: RetentionPolicy; changedAt: string }>
  | DomainEvent<
      'RetentionPurgeExecuted',
      {
        runId: string;
        purgedActIds: string[];
        counts: { acts: number; byReason: Record<string, number> };
        /** Global positions of the first and last erased act's failure event. */
        fromPosition: number;
        throughPosition: number;
        /** The retention the run applied, and the failure time at or before which acts were erased. */
        retentionMs: number;
        cutoff: string;
        executedAt: string;
      }
    >;

export type RetentionEventType = RetentionEvent['type'];

export const retentionEventTypes = ['RetentionPolicyChanged', 'RetentionPurgeExecuted'] as const satisfies ReadonlyArray<RetentionEventType>;
