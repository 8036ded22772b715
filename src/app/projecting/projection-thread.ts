import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { EventStore } from '../../ports/event-store.ts';
import { FencedOffError } from '../../ports/projection-lease.ts';
import { eventCounter } from './event-sequence.ts';
import { PositionWaiters } from './position-waiters.ts';
import type { ProjectionLag, Projector, RebuildReport } from './projection-runner.ts';
import type { FromProjectionThread, ProjectionThreadCall, ProjectionThreadCalls, ProjectionThreadData } from './projection-thread-protocol.ts';

export interface ProjectionThreadOptions {
  /** The module the worker runs (the thread's own composition root builds its adapters there). */
  entry: URL;
  data: ProjectionThreadData;
  /** The request thread's event store: its head, and word of each commit for the thread. */
  eventStore: EventStore & { onAppended(listener: () => void): () => void };
  logger: Pick<Logger, 'info' | 'error'>;
  /** Wait before starting a thread again after it died. */
  restartDelayMs?: number;
  /** Told when the read-model file refused the thread's write under `data.fence`: another process holds the lease now. */
  onFencedOff?: (error: FencedOffError) => void;
}

const CLOSE_TIMEOUT_MS = 10_000;

/**
 * The projections of the embedded ledger, run on a worker thread (src/composition/projection-thread-root.ts):
 * this side tells the thread of each commit, keeps the checkpoints it reports for `waitFor`, and
 * passes `lag` and `rebuild` on. A thread that dies is started again; it resumes from its checkpoints.
 */
export class ProjectionThread implements Projector {
  private worker: Worker | undefined;
  private checkpoints: Record<string, number> = {};
  private readonly waiters = new PositionWaiters((position) => this.reached(position));
  private readonly calls = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private nextCall = 1;
  private state: 'new' | 'running' | 'closed' = 'new';
  private lastError: string | undefined;
  private stopListening: (() => void) | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  /** Set once a thread has started: only then is a thread that dies started again. */
  private startedOnce = false;

  constructor(private readonly options: ProjectionThreadOptions) {}

  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error('the projection thread starts once');
    this.state = 'running';
    this.stopListening = this.options.eventStore.onAppended(() => this.worker?.postMessage({ type: 'appended' }));
    try {
      await this.spawn();
    } catch (error) {
      // The ledger does not start: nothing is left running behind the error.
      await this.close();
      throw error;
    }
  }

  waitFor(position: number, timeoutMs = 10_000): Promise<void> {
    if (this.state === 'closed' && !this.reached(position)) return Promise.reject(new Error('the projection thread is closed'));
    return this.waiters.wait(position, timeoutMs);
  }

  async lag(): Promise<ProjectionLag> {
    if (this.worker && this.state === 'running') return this.call('lag', []);
    const headPosition = await this.options.eventStore.headPosition();
    const position = Math.min(headPosition, ...Object.values(this.checkpoints));
    // The thread keeps the event sequence; without it, the lag is counted by reading the log.
    const eventsAfter = await eventCounter(this.options.eventStore, headPosition);
    return {
      running: false,
      error: this.lastError ?? 'the projection thread is not running',
      headPosition,
      position,
      lagEvents: await eventsAfter(position),
      lagMsP99: null,
      lagSamples: 0,
      projections: [],
    };
  }

  rebuild(name: string): Promise<RebuildReport> {
    return this.call('rebuild', [name]);
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.restartTimer);
    this.stopListening?.();
    const worker = this.worker;
    if (worker) {
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      worker.postMessage({ type: 'close' });
      const timer = setTimeout(() => void worker.terminate(), CLOSE_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    this.waiters.rejectAll(new Error('the projection thread is closed'));
  }

  private spawn(): Promise<void> {
    const worker = new Worker(this.options.entry, { workerData: this.options.data });
    this.worker = worker;
    return new Promise((resolve, reject) => {
      worker.on('message', (message: FromProjectionThread) => {
        switch (message.type) {
          case 'started':
            this.startedOnce = true;
            this.lastError = undefined;
            this.moved(message.checkpoints);
            resolve();
            return;
          case 'checkpoints':
            this.moved(message.checkpoints);
            return;
          case 'result': {
            const call = this.calls.get(message.id);
            this.calls.delete(message.id);
            if (message.error === undefined) call?.resolve(message.value);
            else call?.reject(new Error(message.error));
            return;
          }
          case 'failed':
            this.lastError = message.error;
            reject(new Error(`the projections could not start: ${message.error}`));
            void worker.terminate();
            return;
          case 'fenced':
            if (this.options.data.fence) this.options.onFencedOff?.(new FencedOffError(this.options.data.fence, message.highest));
            return;
          case 'closed':
            return;
        }
      });
      worker.on('error', (error) => {
        this.lastError = error.message;
        this.options.logger.error({ err: error }, 'projection thread failed');
        reject(error);
      });
      worker.on('exit', (code) => {
        if (this.worker !== worker) return;
        this.worker = undefined;
        for (const call of this.calls.values()) call.reject(new Error('the projection thread stopped'));
        this.calls.clear();
        reject(new Error(`the projection thread exited with code ${code} before it started`));
        if (this.state !== 'running' || !this.startedOnce) return;
        this.lastError ??= `the projection thread exited with code ${code}`;
        const delay = this.options.restartDelayMs ?? 1000;
        this.options.logger.error({ code, restartInMs: delay }, 'projection thread stopped; starting it again');
        this.restartTimer = setTimeout(() => {
          this.spawn().catch((error: unknown) => this.options.logger.error({ err: error }, 'projection thread did not start again'));
        }, delay);
      });
    });
  }

  private call<M extends ProjectionThreadCall>(method: M, args: ProjectionThreadCalls[M]['args']): Promise<ProjectionThreadCalls[M]['result']> {
    const worker = this.worker;
    if (!worker || this.state !== 'running') return Promise.reject(new Error('the projection thread is not running'));
    const id = this.nextCall++;
    return new Promise((resolve, reject) => {
      this.calls.set(id, { resolve: resolve as (value: unknown) => void, reject });
      worker.postMessage({ type: 'call', id, method, args });
    });
  }

  private moved(checkpoints: Record<string, number>): void {
    this.checkpoints = checkpoints;
    this.waiters.settle();
  }

  private reached(position: number): boolean {
    const positions = Object.values(this.checkpoints);
    return positions.length > 0 && positions.every((p) => p >= position);
  }
}
