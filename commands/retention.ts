import type { RetentionEvent, RetentionPolicy } from '../events/retention.ts';
import type { Decider } from './decider.ts';
import { refuse } from './errors.ts';

export interface RetentionState {
  /** The latest policy set by an admin; absent until the first change (the configured defaults hold). */
  policy?: RetentionPolicy;
  changedAt?: string;
  changedBy?: string;
  /** Every failed act whose failure event's sequence is at or below this is recorded as purged. */
  purgedThrough: number;
  purgedActs: number;
  lastPurgeAt?: string;
}

/** A failed act the purge found due: its failure event's sequence (dense, in log order) orders the purge. */
export interface PurgeCandidate {
  actId: string;
  sequence: number;
  reason: string;
}

export type RetentionCommand =
  | { type: 'ChangeRetentionPolicy'; by: string; policy: RetentionPolicy; defaults: RetentionPolicy; now: string }
  | { type: 'RecordPurge'; runId: string; acts: readonly PurgeCandidate[]; retentionMs: number; cutoff: string; now: string };

/** What admins may set: long enough to let providers read a failure, short enough to honour erasure. */
export const retentionBounds = {
  failedAuthorizationRetention: { field: 'failedAuthorizationRetentionMs', minMs: 60_000, maxMs: 365 * 86_400_000, min: 'PT1M', max: 'P365D' },
  purgeEvery: { field: 'purgeEveryMs', minMs: 10_000, maxMs: 86_400_000, min: 'PT10S', max: 'P1D' },
} as const;

/** Refuses a policy out of bounds (invalid-retention-policy, naming the field). */
export function checkRetentionPolicy(policy: RetentionPolicy): void {
  for (const [name, bound] of Object.entries(retentionBounds)) {
    const ms = policy[bound.field];
    if (!Number.isSafeInteger(ms) || ms < bound.minMs || ms > bound.maxMs) {
      refuse('invalid-retention-policy', `${name} must be from ${bound.min} to ${bound.max}`, { field: name, minimum: bound.min, maximum: bound.max });
    }
  }
}

/** The policy in force: the latest change, else the configured defaults. */
export const effectivePolicy = (state: RetentionState, defaults: RetentionPolicy): RetentionPolicy => state.policy ?? defaults;

export const retentionDecider: Decider<RetentionState, RetentionCommand, RetentionEvent> = {
  initialState: () => ({ purgedThrough: 0, purgedActs: 0 }),

  evolve(state, event) {
    switch (event.type) {
      case 'RetentionPolicyChanged':
        return { ...state, policy: event.data.new, changedAt: event.data.changedAt, changedBy: event.data.by };
      case 'RetentionPurgeExecuted':
        return {
          ...state,
          purgedThrough: Math.max(state.purgedThrough, event.data.throughSequence),
          purgedActs: state.purgedActs + event.data.purgedActIds.length,
          lastPurgeAt: event.data.executedAt,
        };
    }
  },

  decide(command, state) {
    switch (command.type) {
      case 'ChangeRetentionPolicy': {
        checkRetentionPolicy(command.policy);
        const old = effectivePolicy(state, command.defaults);
        if (samePolicy(old, command.policy)) return [];
        return [{ type: 'RetentionPolicyChanged', data: { by: command.by, old, new: { ...command.policy }, changedAt: command.now } }];
      }
      case 'RecordPurge': {
        if (!command.runId) refuse('invalid-request', 'a purge record needs the run id');
        // Acts at or below the recorded sequence were recorded by an earlier run (or by a worker that
        // got there first): recording them again would count an erasure twice.
        const unrecorded = new Map<string, PurgeCandidate>();
        for (const a of command.acts) if (a.sequence > state.purgedThrough && !unrecorded.has(a.actId)) unrecorded.set(a.actId, a);
        const fresh = [...unrecorded.values()].sort((a, b) => a.sequence - b.sequence);
        if (fresh.length === 0) return [];
        const byReason: Record<string, number> = {};
        for (const a of fresh) byReason[a.reason] = (byReason[a.reason] ?? 0) + 1;
        return [
          {
            type: 'RetentionPurgeExecuted',
            data: {
              runId: command.runId,
              purgedActIds: fresh.map((a) => a.actId),
              counts: { acts: fresh.length, byReason },
              fromSequence: fresh[0]!.sequence,
              throughSequence: fresh.at(-1)!.sequence,
              retentionMs: command.retentionMs,
              cutoff: command.cutoff,
              executedAt: command.now,
            },
          },
        ];
      }
    }
  },
};

function samePolicy(a: RetentionPolicy, b: RetentionPolicy): boolean {
  return a.failedAuthorizationRetentionMs === b.failedAuthorizationRetentionMs && a.purgeEveryMs === b.purgeEveryMs;
}
