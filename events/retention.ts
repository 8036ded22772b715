import type { DomainEvent } from './envelope.ts';

/** How long failed authorizations are kept, and how often the purge looks for expired ones. Whole milliseconds. */
export interface RetentionPolicy {
  failedAuthorizationRetentionMs: number;
  purgeEveryMs: number;
}

/**
 * The `retention` stream. A purge record names the acts it erased and the stretch of the global log
 * their failures lie in, as sequences (`fromSequence`..`throughSequence`, the dense numbers of the
 * event-sequence projection; never positions, which are a store's cursors): acts are purged in log
 * order, so the highest sequence recorded tells which acts are already accounted for.
 * Schema version 2; version 1 named positions (events/upcasters.ts lifts it).
 */
export type RetentionEvent =
  | DomainEvent<'RetentionPolicyChanged', { by: string; old: RetentionPolicy; new: RetentionPolicy; changedAt: string }>
  | DomainEvent<
      'RetentionPurgeExecuted',
      {
        runId: string;
        purgedActIds: string[];
        counts: { acts: number; byReason: Record<string, number> };
        /** Sequences (1..N in log order) of the first and last erased act's failure event. */
        fromSequence: number;
        throughSequence: number;
        /** The retention the run applied, and the failure time at or before which acts were erased. */
        retentionMs: number;
        cutoff: string;
        executedAt: string;
      }
    >;

export type RetentionEventType = RetentionEvent['type'];

export const retentionEventTypes = ['RetentionPolicyChanged', 'RetentionPurgeExecuted'] as const satisfies ReadonlyArray<RetentionEventType>;
