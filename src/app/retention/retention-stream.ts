import { streamNames } from '../../../events/envelope.ts';
import type { RetentionEvent, RetentionPolicy } from '../../../events/retention.ts';
import { effectivePolicy, retentionDecider, type RetentionCommand, type RetentionState } from '../../../commands/retention.ts';
import { RETENTION_SNAPSHOT_ID, RETENTION_STATE, type RetentionSnapshot } from '../../../projections/retention-snapshot.ts';
import type { EventStore } from '../../ports/event-store.ts';
import type { ReadModelStore } from '../../ports/read-model-store.ts';
import { handleCommand, loadState } from '../command-handler.ts';

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
  replayed(): Promise<RetentionKnown> {
    return loadState(this.deps.eventStore, streamNames.retention, retentionDecider);
  }

  /** Whether the stream holds an event with this id (read whole: for the rare retry of a confirmed change). */
  async holdsEvent(eventId: string): Promise<boolean> {
    return (await this.deps.eventStore.readStream(streamNames.retention)).some((e) => e.metadata.eventId === eventId);
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

  /**
   * Records a new policy (nothing when it equals the one in force); refuses one out of bounds. A
   * confirmed four-eyes change passes its causation and the event id derived from its change id.
   */
  async changePolicy(
    by: string,
    policy: RetentionPolicy,
    now: string,
    correlationId?: string,
    cause?: { causationId: string; eventId: (event: RetentionEvent, index: number) => string },
  ): Promise<RetentionDecision> {
    return this.decide({ type: 'ChangeRetentionPolicy', by, policy, defaults: this.deps.defaults, now }, { actor: by, ...(correlationId ? { correlationId } : {}), ...cause });
  }

  /**
   * Decides `command` against `known` (default: the snapshot) and appends at that revision, through
   * the one command path: on a conflict the stream is folded and the command decided again, so what
   * is recorded always rests on every event before it. `eventId` makes ids repeatable (a purge
   * derives them from its run id and the stretch of log it covers).
   */
  async decide(
    command: RetentionCommand,
    context: { actor: string; correlationId?: string; causationId?: string; eventId?: (event: RetentionEvent, index: number) => string },
    known?: RetentionKnown,
  ): Promise<RetentionDecision> {
    const { eventId, ...who } = context;
    const result = await handleCommand({
      store: this.deps.eventStore,
      streamName: streamNames.retention,
      decider: retentionDecider,
      command,
      context: { ...who, now: command.now },
      known: known ?? (await this.current()),
      ...(eventId ? { eventId } : {}),
    });
    return {
      events: result.events,
      known: { state: result.state, revision: result.revision },
      ...(result.position !== undefined && result.events.length > 0 ? { position: result.position } : {}),
    };
  }
}
