import type { RecordedEvent } from '../../../events/envelope.ts';
import { handlesType, type Projection } from '../../../projections/projection.ts';
import { START_OF_LOG, type EventStore, type LogPosition } from '../../ports/event-store.ts';
import type { ProjectionLayout, ReadModelStore } from '../../ports/read-model-store.ts';
import type { PendingChanges } from './pending-changes.ts';

export interface RebuildReport {
  projection: string;
  generation: number;
  /** The checkpoint of the generation swapped in. */
  position: number;
  events: number;
  ms: number;
}

/** What a rebuild needs of the runner that keeps the live generation. */
export interface RebuildContext {
  eventStore: EventStore;
  readModels: ReadModelStore;
  batchSize: number;
  decode: (recorded: RecordedEvent) => Promise<RecordedEvent>;
  /** Pending changes whose reads see `generation`. */
  pending: (generation: number) => PendingChanges;
  /** The live generation's checkpoint: it moves while the live loop runs. */
  live: () => number;
  closed: () => boolean;
  /** Runs `task` with the live loop paused and everything it took written. */
  paused: (task: () => Promise<void>) => Promise<void>;
  /** Told the live checkpoint once the fresh generation is live. */
  swapped: (position: number) => void;
  now: () => number;
}

export const layoutOf = (p: Projection): ProjectionLayout => ({ name: p.name, version: p.version, collections: p.collections });

/**
 * Replays the log into a fresh generation of the projection while the live one keeps serving,
 * then swaps it in. Most of the way runs beside the live loop; the last stretch, up to exactly the
 * live checkpoint, runs with it paused, so no event is missed or applied twice.
 */
export async function rebuildProjection(p: Projection, ctx: RebuildContext): Promise<RebuildReport> {
  const started = ctx.now();
  const generation = await ctx.readModels.startRebuild(layoutOf(p));
  let position: LogPosition = START_OF_LOG;
  let events = 0;
  const project = async (r: RecordedEvent, pending: PendingChanges) => {
    if (!handlesType(p, r.type)) return [];
    return p.project(p.handles === 'every-event' ? r : await ctx.decode(r), pending.view);
  };
  /**
   * Writes batches up to the live checkpoint as it stands at each read. `beside`: stop at the first
   * batch that reaches it (what is left is less than a batch, taken with the live loop paused).
   * Positions are cursors, so "within a batch of live" is learnt from a read, never by subtracting.
   */
  const catchUp = async (beside: boolean) => {
    while (position < ctx.live()) {
      if (ctx.closed()) throw new Error(`rebuild of ${p.name} stopped: the runner is closing`);
      const bound = ctx.live();
      const read = await ctx.eventStore.readAll({ after: position, limit: ctx.batchSize });
      const recorded = read.filter((r) => r.position <= bound);
      if (recorded.length === 0) return;
      const pending = ctx.pending(generation);
      for (const r of recorded) pending.add(await project(r, pending), r.position);
      await ctx.readModels.applyBatch([{ projection: p.name, generation, position: pending.position, changes: pending.changes }]);
      position = pending.position;
      events += recorded.length;
      if (beside && recorded.length < read.length) return;
    }
  };
  await catchUp(true);
  await ctx.paused(async () => {
    await catchUp(false);
    await ctx.readModels.finishRebuild(p.name, generation);
    ctx.swapped(position);
  });
  return { projection: p.name, generation, position, events, ms: ctx.now() - started };
}
