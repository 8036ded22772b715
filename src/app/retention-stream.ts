import { streamNames, type NewEvent } from '../../events/envelope.ts';
import type { RetentionEvent, RetentionPolicy } from '../../events/retention.ts';
import { effectivePolicy, retentionDecider, type RetentionCommand, type RetentionState } from '../../commands/retention.ts';
import { RETENTION_SNAPSHOT_ID, RETENTION_STATE, type RetentionSnapshot } from '../../projections/retention.ts';
import { WrongExpectedRevisionError, type EventStore } from '../ports/event-store.ts';
import type { ReadModelStore } from '../ports/read-model-store.ts';
import { SCHEMA_VERSION } from './command-handler.ts';
import { newId } from './ids.ts';

/** The `retention` stream's state and the revision it was read at: what an append expects. */
export interface RetentionKnown {
  state: RetentionState;
  revision: number;
}

/** What admins see of the retention: the policy in force and what the purge has done so far. */
export interface RetentionView {
  policy: RetentionPolicy;
  /** Absent while the configured defaults hold. */
  changedAt?: string;
  changedBy?: string;
  purgedActs: number;
  lastPurgeAt?: string;
}

export interface RetentionDecision {
  events: RetentionEvent[];
  known: RetentionKnown;
  /** Global position of the last appended event; absent when the decider had nothing to record. */
  position?: number;
}

export interface RetentionStreamDeps {
  eventStore: EventStore;
  readModels: ReadModelStore;
  defaults: RetentionPolicy;
}

const MAX_ATTEMPTS = 5;

/**
 * The `retention` stream: the policy in force and the record of purges. Reads take the snapshot the
 * `retention` projection keeps, since the stream grows by a purge record per batch; an append that
 * finds the snapshot stale (another writer, or a projection behind) folds the stream once and
 * decides again.
 */
export class RetentionStream {
  constructor(private readonly deps: RetentionStreamDeps) {}

  get defaults(): RetentionPolicy {
    return this.deps.defaults;
  }

  /** The state as the snapshot has it (an empty stream when there is none yet). */
  async current(): Promise<RetentionKnown> {
    const snapshot = await this.deps.readModels.get<RetentionSnapshot>(RETENTION_STATE, RETENTION_SNAPSHOT_ID);
    return snapshot ? { state: snapshot.state, revision: snapshot.revision } : { state: retentionDecider.initialState(), revision: -1 };
  }

  /** The state folded from every event of the stream: exact, and as costly as the stream is long. */
  async replayed(): Promise<RetentionKnown> {
    const recorded = await this.deps.eventStore.readStream(streamNames.retention);
    let state = retentionDecider.initialState();
    for (const r of recorded) state = retentionDecider.evolve(state, { type: r.type, data: r.data } as RetentionEvent);
    return { state, revision: recorded.length - 1 };
  }

  view(state: RetentionState): RetentionView {
    return {
      policy: effectivePolicy(state, this.deps.defaults),
      ...(state.policy && state.changedAt ? { changedAt: state.changedAt } : {}),
      ...(state.policy && state.changedBy ? { changedBy: state.changedBy } : {}),
      purgedActs: state.purgedActs,
      ...(state.lastPurgeAt ? { lastPurgeAt: state.lastPurgeAt } : {}),
    };
  }

  /** Records a new policy (nothing when it equals the one in force); refuses one out of bounds. */
  async changePolicy(by: string, policy: RetentionPolicy, now: string, correlationId?: string): Promise<RetentionDecision> {
    return this.decide({ type: 'ChangeRetentionPolicy', by, policy, defaults: this.deps.defaults, now }, { actor: by, ...(correlationId ? { correlationId } : {}) });
  }

  /**
   * Decides `command` against `known` (default: the snapshot) and appends at that revision. On a
   * conflict the stream is folded and the command decided again, so what is recorded always rests
   * on every event before it. `eventId` makes ids repeatable (a purge derives them from its run id).
   */
  async decide(
    command: RetentionCommand,
    context: { actor: string; correlationId?: string; eventId?: (event: RetentionEvent, index: number) => string },
    known?: RetentionKnown,
  ): Promise<RetentionDecision> {
    let basis = known ?? (await this.current());
    for (let attempt = 1; ; attempt++) {
      const events = retentionDecider.decide(command, basis.state);
      if (events.length === 0) return { events, known: basis };
      const correlationId = context.correlationId ?? newId();
      const toStore: NewEvent[] = events.map((e, i) => ({
        type: e.type,
        data: e.data as unknown as Record<string, unknown>,
        metadata: { eventId: context.eventId?.(e, i) ?? newId(), correlationId, occurredAt: command.now, actor: context.actor, schemaVersion: SCHEMA_VERSION },
      }));
      try {
        const result = await this.deps.eventStore.append(streamNames.retention, toStore, basis.revision < 0 ? 'no-stream' : basis.revision);
        const state = events.reduce(retentionDecider.evolve, basis.state);
        return { events, known: { state, revision: result.nextExpectedRevision }, position: result.position };
      } catch (error) {
        if (!(error instanceof WrongExpectedRevisionError) || attempt >= MAX_ATTEMPTS) throw error;
        basis = await this.replayed();
      }
    }
  }
}
