import type { Logger } from 'pino';
import type { RecordedEvent } from '../../../events/envelope.ts';
import { handlesType, type Projection } from '../../../projections/projection.ts';
import { eventSequenceProjection } from '../../../projections/event-sequence.ts';
import type { EventStore, Subscription } from '../../ports/event-store.ts';
import type { ProjectionWrite, ReadModelStore } from '../../ports/read-model-store.ts';
import { ApplyLagWindow, type ProjectionLag } from './apply-lag.ts';
import { EventSequence, eventCounter } from './event-sequence.ts';
import { pendingChangesOf, type PendingChanges } from './pending-changes.ts';
import { PositionWaiters } from './position-waiters.ts';
import { layoutOf, rebuildProjection, type RebuildReport } from './projection-rebuild.ts';

export type { ProjectionFigures, ProjectionLag } from './apply-lag.ts';
export type { RebuildReport } from './projection-rebuild.ts';

/** What the rest of the ledger sees of the projections, whether they run on this thread or another. */
export interface Projector {
  /** Registers every projection, rebuilds those whose version or layout changed, then follows the log. */
  start(): Promise<void>;
  /** Resolves once every projection has written past `position`; rejects after `timeoutMs`. */
  waitFor(position: number, timeoutMs?: number): Promise<void>;
  /** Head, checkpoints and append-to-write time: what /readyz and /metrics show. */
  lag(): Promise<ProjectionLag>;
  /** Replays the whole log into a fresh generation of the projection, then swaps it in. */
  rebuild(name: string): Promise<RebuildReport>;
  /** Stops following the log after writing what is pending. */
  close(): Promise<void>;
}

export interface ProjectionRunnerOptions {
  eventStore: EventStore;
  readModels: ReadModelStore;
  projections: readonly Projection[];
  /**
   * Opens an event's sealed fields and lifts it to its type's current schema, checked (the act codec);
   * absent fields when the act's key is destroyed. An event that fails its schema stops the runner.
   */
  decode?: (recorded: RecordedEvent) => Promise<RecordedEvent>;
  logger?: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Most events written in one transaction while catching up. */
  batchSize?: number;
  /** First wait before subscribing again after a failure; doubles up to 30 s. */
  retryDelayMs?: number;
  now?: () => number;
  /** Called with every projection's checkpoint each time one moves (another thread follows them). */
  onCheckpoints?: (checkpoints: Record<string, number>) => void;
}

interface Batch {
  events: number;
  pending: Map<string, PendingChanges>;
  occurredAt: number[];
}

/**
 * Feeds every event of the global log, from the stored checkpoints, to each projection's pure
 * handler and writes the changes with the event's position through ReadModelStore.applyBatch.
 * Events are taken in one at a time but written in batches: when the subscription pauses, or at
 * `batchSize` events while catching up. Everything that touches the batch runs one task at a time.
 */
export class ProjectionRunner implements Projector {
  private readonly checkpoints = new Map<string, number>();
  private readonly lagWindow = new ApplyLagWindow();
  private readonly rebuilds = new Map<string, Promise<RebuildReport>>();
  private readonly waiters = new PositionWaiters((position) => this.reached(position));
  private readonly decode: (recorded: RecordedEvent) => Promise<RecordedEvent>;
  private readonly batchSize: number;
  private readonly now: () => number;
  private batch: Batch = emptyBatch();
  private queue: Promise<unknown> = Promise.resolve();
  private subscription: Subscription | undefined;
  /** Bumped on every failure: work of an older subscription is dropped, never written. */
  private epoch = 0;
  private state: 'new' | 'running' | 'closed' = 'new';
  private lastError: string | undefined;
  private failures = 0;
  private flushScheduled: NodeJS.Immediate | undefined;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ProjectionRunnerOptions) {
    const names = new Set<string>();
    for (const p of options.projections) {
      if (names.has(p.name)) throw new Error(`two projections are named ${p.name}`);
      names.add(p.name);
    }
    this.decode = options.decode ?? (async (r) => r);
    this.batchSize = options.batchSize ?? 500;
    this.now = options.now ?? Date.now;
  }

  private get projections(): readonly Projection[] {
    return this.options.projections;
  }

  /** Registers every projection, rebuilds those whose version or layout changed, then follows the log. */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error('the projection runner starts once');
    this.state = 'running';
    const stale: string[] = [];
    for (const p of this.projections) {
      const registered = await this.options.readModels.register(layoutOf(p));
      this.checkpoints.set(p.name, registered.position);
      if (!registered.upToDate) stale.push(p.name);
    }
    for (const name of stale) {
      const report = await this.rebuild(name);
      this.options.logger?.info({ ...report }, 'projection rebuilt for its new version');
    }
    this.subscribe();
  }

  /** Resolves once every projection has written past `position`; rejects after `timeoutMs`. */
  waitFor(position: number, timeoutMs = 10_000): Promise<void> {
    if (this.state === 'closed' && !this.reached(position)) return Promise.reject(new Error('the projection runner is closed'));
    return this.waiters.wait(position, timeoutMs);
  }

  /**
   * Head, checkpoints and append-to-write time: what /readyz and /metrics show. Lag is a count of
   * events, taken from the event sequence (positions are cursors, not counts).
   */
  async lag(): Promise<ProjectionLag> {
    const headPosition = await this.options.eventStore.headPosition();
    const sequenced = this.projections.some((p) => p.name === eventSequenceProjection.name);
    const eventsAfter = await eventCounter(this.options.eventStore, headPosition, sequenced ? new EventSequence(this.options.readModels) : undefined);
    const projections = await Promise.all(
      this.projections.map(async (p) => {
        const position = this.checkpoints.get(p.name) ?? 0;
        return { name: p.name, version: p.version, position, lagEvents: await eventsAfter(position), rebuilding: this.rebuilds.has(p.name) };
      }),
    );
    const position = projections.length === 0 ? headPosition : Math.min(...projections.map((p) => p.position));
    const p99 = this.lagWindow.percentile(99, this.now());
    return {
      running: this.state === 'running',
      ...(this.lastError ? { error: this.lastError } : {}),
      headPosition,
      position,
      lagEvents: await eventsAfter(position),
      lagMsP99: p99.value,
      lagSamples: p99.samples,
      projections,
    };
  }

  /**
   * Replays the whole log into a fresh generation of the projection while the live one keeps
   * serving, then swaps it in: the last stretch runs with the live loop paused, so no event is
   * missed or applied twice. A rebuild already running is joined.
   */
  rebuild(name: string): Promise<RebuildReport> {
    const running = this.rebuilds.get(name);
    if (running) return running;
    const projection = this.projections.find((p) => p.name === name);
    if (!projection) return Promise.reject(new Error(`no projection named ${name}`));
    const run = rebuildProjection(projection, {
      eventStore: this.options.eventStore,
      readModels: this.options.readModels,
      batchSize: this.batchSize,
      decode: this.decode,
      pending: (generation) => this.newPending(projection, generation),
      live: () => this.checkpoints.get(name) ?? 0,
      closed: () => this.state === 'closed',
      paused: (task) =>
        this.exclusive(async () => {
          await this.flush();
          await task();
        }),
      swapped: (position) => this.checkpoints.set(name, position),
      now: this.now,
    })
      .then((report) => {
        this.checkpointsMoved();
        return report;
      })
      .finally(() => this.rebuilds.delete(name));
    this.rebuilds.set(name, run);
    return run;
  }

  /** Stops following the log, writes what is pending, and waits for a rebuild in progress to stop. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.retryTimer);
    const subscription = this.subscription;
    this.subscription = undefined;
    await subscription?.close();
    await this.exclusive(() => this.flush()).catch(() => undefined);
    await Promise.allSettled([...this.rebuilds.values()]);
    this.waiters.rejectAll(new Error('the projection runner is closed'));
  }

  private subscribe(): void {
    if (this.state !== 'running' || this.projections.length === 0 || this.subscription) return;
    const epoch = this.epoch;
    const after = Math.min(...this.checkpoints.values());
    this.subscription = this.options.eventStore.subscribeToAll(
      { after, onError: (error) => this.fail(error, epoch) },
      (recorded) => this.receive(recorded, epoch),
    );
  }

  private receive(recorded: RecordedEvent, epoch: number): Promise<void> {
    return this.exclusive(async () => {
      if (epoch !== this.epoch || this.state === 'closed') return;
      try {
        if (await this.take(recorded)) {
          if (this.batch.events >= this.batchSize) await this.flush();
          else this.scheduleFlush();
        }
      } catch (error) {
        this.fail(error, epoch);
        throw error;
      }
    });
  }

  /** Runs each projection that has not seen the event yet; false when none needed it. */
  private async take(recorded: RecordedEvent): Promise<boolean> {
    const batch = this.batch;
    let decoded: RecordedEvent | undefined;
    let taken = false;
    for (const p of this.projections) {
      const pending = this.pendingFor(p);
      if (recorded.position <= Math.max(this.checkpoints.get(p.name) ?? 0, pending.position)) continue;
      taken = true;
      if (!handlesType(p, recorded.type)) {
        pending.add([], recorded.position);
        continue;
      }
      // A projection of every event reads the envelope only: it gets the event as stored.
      if (p.handles === 'every-event') {
        pending.add(await p.project(recorded, pending.view), recorded.position);
        continue;
      }
      decoded ??= await this.decode(recorded);
      pending.add(await p.project(decoded, pending.view), recorded.position);
    }
    if (taken) {
      batch.events += 1;
      const at = Date.parse(recorded.metadata.occurredAt);
      if (Number.isFinite(at)) batch.occurredAt.push(at);
    }
    return taken;
  }

  private pendingFor(p: Projection): PendingChanges {
    let pending = this.batch.pending.get(p.name);
    if (!pending) {
      pending = this.newPending(p);
      this.batch.pending.set(p.name, pending);
    }
    return pending;
  }

  private newPending(p: Projection, generation?: number): PendingChanges {
    return pendingChangesOf(p, this.options.readModels, generation);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = setImmediate(() => {
      this.flushScheduled = undefined;
      const epoch = this.epoch;
      this.exclusive(() => this.flush()).catch((error: unknown) => this.fail(error, epoch));
    });
  }

  /** Writes the batch: every projection's changes and checkpoint in one transaction. */
  private async flush(): Promise<void> {
    const batch = this.batch;
    if (batch.events === 0) return;
    this.batch = emptyBatch();
    const writes: ProjectionWrite[] = [];
    for (const [projection, pending] of batch.pending) {
      // `after`: the handlers' reads saw the read model at this checkpoint; another writer's moving it refuses the write.
      if (pending.position > 0) writes.push({ projection, position: pending.position, changes: pending.changes, after: this.checkpoints.get(projection) ?? 0 });
    }
    let applied: boolean[];
    try {
      applied = await this.options.readModels.applyBatch(writes);
    } catch (error) {
      this.fail(error, this.epoch);
      throw error;
    }
    for (const [i, write] of writes.entries()) {
      // Not applied: another process got there first; continue from where it left the checkpoint.
      this.checkpoints.set(write.projection, applied[i] ? write.position : await this.options.readModels.checkpoints.get(write.projection));
    }
    // Refused short of its end: the events between the stored checkpoint and it were taken here and
    // written by no one yet. Follow the log again from the stored checkpoints rather than skip them.
    if (writes.some((w, i) => !applied[i] && (this.checkpoints.get(w.projection) ?? 0) < w.position)) {
      this.fail(new Error('another writer moved a projection checkpoint; following the log again from the stored checkpoints'), this.epoch);
      return;
    }
    const now = this.now();
    for (const at of batch.occurredAt) this.lagWindow.record(now - at, now);
    this.failures = 0;
    this.lastError = undefined;
    this.checkpointsMoved();
  }

  private checkpointsMoved(): void {
    this.waiters.settle();
    this.options.onCheckpoints?.(this.positions());
  }

  /** Every projection's checkpoint now. */
  positions(): Record<string, number> {
    return Object.fromEntries(this.checkpoints);
  }

  /**
   * Drops the batch and the subscription it came from, then subscribes again from the stored
   * checkpoints after a growing pause: an event is written only after all events before it.
   */
  private fail(error: unknown, epoch: number): void {
    if (epoch !== this.epoch || this.state !== 'running') return;
    this.epoch += 1;
    this.batch = emptyBatch();
    this.lastError = error instanceof Error ? error.message : String(error);
    const delay = Math.min(30_000, (this.options.retryDelayMs ?? 1000) * 2 ** this.failures++);
    this.options.logger?.error({ err: error, retryInMs: delay }, 'projection runner failed; subscribing again');
    const subscription = this.subscription;
    this.subscription = undefined;
    // Not awaited: closing waits for the handler in flight, which may be queued behind this task.
    void subscription?.close().catch(() => undefined);
    this.retryTimer = setTimeout(() => this.subscribe(), delay);
  }

  private reached(position: number): boolean {
    for (const p of this.projections) if ((this.checkpoints.get(p.name) ?? 0) < position) return false;
    return true;
  }

  /** Runs `task` after every task queued before it. */
  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

function emptyBatch(): Batch {
  return { events: 0, pending: new Map(), occurredAt: [] };
}
