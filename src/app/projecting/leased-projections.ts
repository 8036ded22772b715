import type { Logger } from 'pino';
import type { EventStore } from '../../ports/event-store.ts';
import type { CheckpointStore } from '../../ports/checkpoint-store.ts';
import type { FencedOffError, Fence, LeaseGrant, ProjectionLease } from '../../ports/projection-lease.ts';
import type { ProjectionLag, Projector, RebuildReport } from './projection-runner.ts';
import type { ReadModelStore } from '../../ports/read-model-store.ts';
import { eventSequenceProjection } from '../../../projections/event-sequence.ts';
import { EventSequence, eventCounter } from './event-sequence.ts';

/** What this process does about the projections: keeps them (`holder`), waits to (`standby`), or never does (`off`). */
export type ProjectionRole = 'holder' | 'standby' | 'off';

/** Work that runs only while this process holds the lease (the in-process jobs). */
export interface ProjectionDuty {
  start(): Promise<void>;
  /** Stops starting work; what is in flight may finish. */
  stop(): Promise<void>;
}

export interface LeasedProjectionsOptions {
  /** Undefined when this process never projects (LEDGER_PROJECTIONS=off). */
  lease: ProjectionLease | undefined;
  /** The lease's name, the same in every process sharing the store. */
  leaseName: string;
  /** This process among those sharing the lease; unique per process start. */
  holder: string;
  ttlMs: number;
  /** How often the holder renews: well inside the TTL, so a missed renewal or two still leaves time. */
  renewEveryMs: number;
  /** How often a process standing by tries to take the lease. */
  retryEveryMs: number;
  /** Builds the projector of one holding: its writes carry `fence`, and it calls `fencedOff` at the first refusal. */
  projector: (fence: Fence, fencedOff: (error: FencedOffError) => void) => Projector;
  /** The projections' names, the shared checkpoints and the log's head: what a process that does not project reads. */
  shared: { projections: readonly { name: string; version: number }[]; checkpoints: CheckpointStore; eventStore: EventStore; readModels: Pick<ReadModelStore, 'get' | 'find'> };
  /** How often `waitFor` reads the shared checkpoints while another process projects. */
  pollEveryMs?: number;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
}

/**
 * The projections of one process among several on a shared store: only the holder of the lease runs
 * a projector (and the duties, such as in-process jobs); the others stand by and try to take the
 * lease over, which happens within about a TTL and a retry after its holder dies. The holder renews
 * every `renewEveryMs` and stops at once when a renewal is refused, when its grant runs out without
 * one, or when the store refuses a write under its token. Read-your-writes works in every role: a
 * process that does not project waits by reading the shared checkpoints.
 */
export class LeasedProjections implements Projector {
  private role: ProjectionRole;
  private grant: LeaseGrant | undefined;
  private projector: Projector | undefined;
  private readonly duties: ProjectionDuty[] = [];
  private timer: NodeJS.Timeout | undefined;
  private deadline: NodeJS.Timeout | undefined;
  /** Changes of role, one at a time. */
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private lastError: string | undefined;
  /** The highest token a store refused this process for: the next acquisition asks for one above it. */
  private fencedBelow = 0;

  constructor(private readonly options: LeasedProjectionsOptions) {
    this.role = options.lease ? 'standby' : 'off';
  }

  /** Tries the lease once and starts projecting when it is taken; a projector that cannot start fails the start. */
  async start(): Promise<void> {
    if (!this.options.lease) return;
    await this.exclusive(() => this.tryAcquire(true));
    this.scheduleTick();
  }

  /** Adds work that runs only while this process holds the lease; started at once when it does. */
  async addDuty(duty: ProjectionDuty): Promise<void> {
    this.duties.push(duty);
    if (this.role === 'holder') await duty.start();
  }

  /** The projector of the current holding, or undefined when this process does not hold the lease. */
  current(): Projector | undefined {
    return this.projector;
  }

  /** This process's role and, while it holds the lease, the fencing token of the holding. */
  status(): { role: ProjectionRole; fencingToken?: number; error?: string } {
    return {
      role: this.role,
      ...(this.role === 'holder' && this.grant ? { fencingToken: this.grant.token } : {}),
      ...(this.lastError ? { error: this.lastError } : {}),
    };
  }

  async waitFor(position: number, timeoutMs = 10_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    const projector = this.projector;
    if (projector) {
      try {
        return await projector.waitFor(position, timeoutMs);
      } catch (error) {
        // The holding ended while waiting: the shared checkpoints tell the rest.
        if (this.projector === projector || this.closed) throw error;
      }
    }
    return this.pollCheckpoints(position, until);
  }

  async lag(): Promise<ProjectionLag> {
    const projector = this.projector;
    if (projector) return projector.lag();
    // Figures of the shared checkpoints: whoever holds the lease moves them.
    // Positions are cursors: events behind are counted through the event sequence, never subtracted.
    const { projections, checkpoints, eventStore, readModels } = this.options.shared;
    const headPosition = await eventStore.headPosition();
    const sequenced = projections.some((p) => p.name === eventSequenceProjection.name);
    const eventsAfter = await eventCounter(eventStore, headPosition, sequenced ? new EventSequence(readModels) : undefined);
    const positions = await Promise.all(
      projections.map(async (p) => {
        const position = await checkpoints.get(p.name);
        return { name: p.name, version: p.version, position, lagEvents: await eventsAfter(position), rebuilding: false };
      }),
    );
    const slowest = positions.reduce<(typeof positions)[number] | undefined>((min, p) => (min === undefined || p.position < min.position ? p : min), undefined);
    return {
      running: false,
      headPosition,
      position: slowest?.position ?? headPosition,
      lagEvents: slowest?.lagEvents ?? 0,
      lagMsP99: null,
      lagSamples: 0,
      projections: positions,
    };
  }

  rebuild(name: string): Promise<RebuildReport> {
    const projector = this.projector;
    if (!projector) return Promise.reject(new Error(`this process does not keep the projections (${this.role}); rebuild ${name} where the lease is held`));
    return projector.rebuild(name);
  }

  /** Stops projecting and the duties, then frees the lease so another process takes over at once. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    clearTimeout(this.deadline);
    await this.exclusive(() => this.stepDown('closing', { release: true }));
  }

  private scheduleTick(): void {
    if (this.closed || !this.options.lease) return;
    const every = this.role === 'holder' ? this.options.renewEveryMs : this.options.retryEveryMs;
    this.timer = setTimeout(() => {
      void this.exclusive(() => (this.role === 'holder' ? this.renew() : this.tryAcquire(false)))
        .catch((error: unknown) => this.options.logger.error({ err: error }, 'projection lease step failed'))
        .finally(() => this.scheduleTick());
    }, every);
    this.timer.unref();
  }

  private async tryAcquire(failOnStartError: boolean): Promise<void> {
    const { lease, leaseName, holder, ttlMs, logger } = this.options;
    if (!lease || this.closed || this.role === 'holder') return;
    let grant: LeaseGrant | undefined;
    try {
      grant = await lease.acquire(leaseName, holder, ttlMs, this.fencedBelow > 0 ? { above: this.fencedBelow } : {});
    } catch (error) {
      this.lastError = `projection lease unavailable: ${error instanceof Error ? error.message : String(error)}`;
      logger.warn({ err: error }, 'projection lease unavailable; trying again');
      return;
    }
    if (!grant) return;
    const fence: Fence = { lease: leaseName, token: grant.token };
    const projector = this.options.projector(fence, (error) => this.fencedOff(projector, error));
    this.grant = grant;
    this.role = 'holder';
    this.armDeadline(grant);
    try {
      await projector.start();
    } catch (error) {
      this.lastError = error instanceof Error ? error.message : String(error);
      await projector.close().catch(() => undefined);
      await this.stepDown('projections did not start', { release: true });
      if (failOnStartError) throw error;
      logger.error({ err: error }, 'projections did not start under the lease; standing by');
      return;
    }
    this.projector = projector;
    this.lastError = undefined;
    logger.info({ lease: leaseName, fencingToken: grant.token }, 'projection lease taken: this process keeps the projections');
    for (const duty of this.duties) await duty.start();
  }

  private async renew(): Promise<void> {
    const { lease, leaseName, holder, ttlMs, logger } = this.options;
    const grant = this.grant;
    if (!lease || !grant || this.role !== 'holder') return;
    let renewed: LeaseGrant | undefined;
    try {
      renewed = await lease.renew(leaseName, holder, grant.token, ttlMs);
    } catch (error) {
      // Not refused, only unanswered: the deadline steps down if no renewal gets through in time.
      logger.warn({ err: error }, 'projection lease renewal did not get through; trying again');
      return;
    }
    if (this.grant !== grant) return;
    if (!renewed) {
      await this.stepDown('renewal refused: the lease expired or was taken over', { release: false });
      return;
    }
    this.grant = renewed;
    this.armDeadline(renewed);
  }

  /** Steps down shortly before the grant runs out, when no renewal got through by then. */
  private armDeadline(grant: LeaseGrant): void {
    clearTimeout(this.deadline);
    const margin = Math.min(1_000, Math.floor(this.options.ttlMs / 10));
    this.deadline = setTimeout(() => {
      void this.exclusive(async () => {
        if (this.grant === grant) await this.stepDown('the lease ran out without a renewal', { release: false });
      });
    }, Math.max(0, grant.expiresAt.getTime() - Date.now() - margin));
    this.deadline.unref();
  }

  private fencedOff(projector: Projector, error: FencedOffError): void {
    void this.exclusive(async () => {
      if (this.projector !== projector) return;
      this.fencedBelow = Math.max(this.fencedBelow, error.highest);
      // Released: when no one else holds it (the backend lost its count), this process takes it again above the fence.
      await this.stepDown(`fenced off: token ${error.highest} took the lease over`, { release: true });
    });
  }

  private async stepDown(reason: string, { release }: { release: boolean }): Promise<void> {
    const { lease, leaseName, holder, logger } = this.options;
    const grant = this.grant;
    const projector = this.projector;
    clearTimeout(this.deadline);
    this.grant = undefined;
    this.projector = undefined;
    if (this.role === 'holder') this.role = 'standby';
    if (!grant) return;
    if (!this.closed || reason !== 'closing') logger.warn({ lease: leaseName, fencingToken: grant.token, reason }, 'projection lease given up: this process stops projecting');
    for (const duty of this.duties) await duty.stop().catch((e: unknown) => logger.error({ err: e }, 'a duty did not stop cleanly'));
    await projector?.close().catch((e: unknown) => logger.error({ err: e }, 'projector did not close cleanly'));
    if (release && lease) await lease.release(leaseName, holder, grant.token).catch((e: unknown) => logger.warn({ err: e }, 'projection lease not released; it expires'));
  }

  private async pollCheckpoints(position: number, until: number): Promise<void> {
    const { projections, checkpoints } = this.options.shared;
    const every = this.options.pollEveryMs ?? 50;
    for (;;) {
      if (this.closed) throw new Error('the projections are closed');
      const positions = await Promise.all(projections.map((p) => checkpoints.get(p.name)));
      if (positions.every((p) => p >= position)) return;
      if (Date.now() >= until) throw new Error(`projections did not reach position ${position} in time`);
      // A projector of this process may have started meanwhile: it answers sooner.
      const projector = this.projector;
      if (projector) return this.waitFor(position, Math.max(1, until - Date.now()));
      await new Promise((resolve) => setTimeout(resolve, Math.min(every, Math.max(1, until - Date.now()))));
    }
  }

  /** Runs `task` after every role change queued before it. */
  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
