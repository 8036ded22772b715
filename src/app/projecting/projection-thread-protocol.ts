import type { Fence } from '../../ports/projection-lease.ts';
import type { ProjectionLag, RebuildReport } from './projection-runner.ts';

/** What the projection thread is started with. */
export interface ProjectionThreadData {
  /** The ledger's SQLite file: events and data keys, only read there. */
  eventFile: string;
  /** The read models' SQLite files, written only there: the shared one, and projection name -> a file of its own. */
  readModelFiles: { shared: string; own: Record<string, string> };
  logLevel: string;
  /** The projection lease's token this thread writes under; the read-model file refuses it once a later holder wrote. */
  fence?: Fence;
}

/** The calls the main thread makes on the projection thread. */
export interface ProjectionThreadCalls {
  lag: { args: []; result: ProjectionLag };
  rebuild: { args: [name: string]; result: RebuildReport };
}

export type ProjectionThreadCall = keyof ProjectionThreadCalls;

/** Main thread -> projection thread. */
export type ToProjectionThread =
  | { type: 'appended' }
  | { type: 'call'; id: number; method: ProjectionThreadCall; args: unknown[] }
  | { type: 'close' };

/** Projection thread -> main thread. */
export type FromProjectionThread =
  | { type: 'started'; checkpoints: Record<string, number> }
  | { type: 'checkpoints'; checkpoints: Record<string, number> }
  | { type: 'result'; id: number; value?: unknown; error?: string }
  | { type: 'failed'; error: string }
  | { type: 'fenced'; token: number; highest: number }
  | { type: 'closed' };
