import type { RetentionEventType } from './retention.ts';
import { count, exactly, instant, listOf, sequence, text, type JsonSchema } from './json-schema.ts';

const policy = exactly({ failedAuthorizationRetentionMs: count, purgeEveryMs: count });

/** The data of each event of the `retention` stream. */
export const retentionEventSchemas = {
  RetentionPolicyChanged: exactly({ by: text, old: policy, new: policy, changedAt: instant }),
  RetentionPurgeExecuted: exactly({
    runId: text,
    purgedActIds: listOf(text),
    counts: exactly({ acts: count, byReason: { type: 'object', additionalProperties: count } }),
    fromSequence: sequence,
    throughSequence: sequence,
    retentionMs: count,
    cutoff: instant,
    executedAt: instant,
  }),
} as const satisfies Record<RetentionEventType, JsonSchema>;
