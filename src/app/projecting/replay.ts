import type { RecordedEvent } from '../../../events/envelope.ts';
import { handlesType, type Projection } from '../../../projections/projection.ts';
import { START_OF_LOG, type EventStore, type LogPosition } from '../../ports/event-store.ts';
import type { ReadModelStore } from '../../ports/read-model-store.ts';
import { pendingChangesOf } from './pending-changes.ts';
import { layoutOf } from './projection-rebuild.ts';
import { differencesOf, recheck, type ReplayDifference } from './replay-comparison.ts';

export type { ReplayDifference } from './replay-comparison.ts';

/** What the replay of one projection found. */
export interface ProjectionReplay {
  projection: string;
  version: number;
  /** False: the live generation was built by another version or layout (the next start rebuilds it); nothing was compared. */
  upToDate: boolean;
  /** The live checkpoint the shadow was built up to and compared at. */
  position: number;
  /** Events the shadow took in (handled or only passed). */
  events: number;
  /** Documents compared: every id in the live generation or the shadow. */
  documents: number;
  /** How many documents differ; `differences` lists the first of them. */
  differenceCount: number;
  differences: ReplayDifference[];
  /** The live checkpoint moved while comparing and had not stood still by the last recheck. */
  liveMoving?: boolean;
}

export interface ReplayReport {
  projections: ProjectionReplay[];
  /** Events read from the log (once, for every projection at a time). */
  events: number;
  /** Reading and projecting into the shadows, and comparing. */
  buildMs: number;
  compareMs: number;
  /** Documents that differ, and projections not compared, across all projections. */
  differences: number;
}

export interface ReplayDeps {
  eventStore: EventStore;
  readModels: ReadModelStore;
  projections: readonly Projection[];
  /** As the live runner decodes (the act codec): sealed fields open, or absent once erased. */
  decode: (recorded: RecordedEvent) => Promise<RecordedEvent>;
  /** Events read and written per transaction. */
  batchSize?: number;
  /** Differences listed per projection (all are counted). */
  listed?: number;
  now?: () => number;
}

/** A projection being rebuilt into a shadow generation up to `target`. */
interface Shadow {
  projection: Projection;
  generation: number;
  target: number;
  position: number;
  events: number;
}

/** Rechecks of the differences when the live checkpoint moved while comparing. */
const RECHECKS = 3;

/**
 * `ledger replay`: rebuilds every projection from zero into a shadow generation (never made live,
 * dropped at the end), then compares it document by document with the live generation.
 *
 * Both are compared at the same position: each shadow takes in the log up to exactly the live
 * checkpoint its projection had when the replay began, read once for all of them. The replay does
 * not project the live read models itself; a projector running meanwhile may move a live
 * checkpoint during the comparison, so differences are then checked again after the shadow caught
 * up with it, until it stands still.
 */
export async function replayProjections(deps: ReplayDeps): Promise<ReplayReport> {
  const now = deps.now ?? (() => performance.now());
  const listed = deps.listed ?? 20;
  const started = now();
  const results: ProjectionReplay[] = [];
  const shadows: Shadow[] = [];
  try {
    for (const projection of deps.projections) {
      const registered = await deps.readModels.register(layoutOf(projection));
      if (!registered.upToDate) {
        results.push({ projection: projection.name, version: projection.version, upToDate: false, position: registered.position, events: 0, documents: 0, differenceCount: 1, differences: [] });
        continue;
      }
      const generation = await deps.readModels.startRebuild(layoutOf(projection));
      shadows.push({ projection, generation, target: registered.position, position: START_OF_LOG, events: 0 });
    }
    const events = await fill(deps, shadows);
    const built = now();
    for (const shadow of shadows) results.push(await compare(deps, shadow, listed));
    const order = new Map(deps.projections.map((p, i) => [p.name, i]));
    results.sort((a, b) => order.get(a.projection)! - order.get(b.projection)!);
    return {
      projections: results,
      events,
      buildMs: built - started,
      compareMs: now() - built,
      differences: results.reduce((n, r) => n + r.differenceCount, 0),
    };
  } finally {
    for (const shadow of shadows) await deps.readModels.dropRebuild(shadow.projection.name, shadow.generation).catch(() => undefined);
  }
}

/**
 * Feeds the log to every shadow up to its own target, one read for all: each event decoded once,
 * each batch written in one transaction. Answers the events read.
 */
async function fill(deps: ReplayDeps, shadows: readonly Shadow[]): Promise<number> {
  const batchSize = deps.batchSize ?? 1000;
  const end = Math.max(START_OF_LOG, ...shadows.map((s) => s.target));
  let position: LogPosition = Math.min(end, ...shadows.map((s) => s.position));
  let read = 0;
  while (position < end) {
    const batch = (await deps.eventStore.readAll({ after: position, limit: batchSize })).filter((r) => r.position <= end);
    if (batch.length === 0) break;
    const pending = new Map(shadows.map((s) => [s, pendingChangesOf(s.projection, deps.readModels, s.generation)]));
    for (const recorded of batch) {
      let decoded: RecordedEvent | undefined;
      for (const [shadow, changes] of pending) {
        if (recorded.position <= shadow.position || recorded.position > shadow.target) continue;
        const p = shadow.projection;
        shadow.events += 1;
        if (!handlesType(p, recorded.type)) changes.add([], recorded.position);
        else if (p.handles === 'every-event') changes.add(await p.project(recorded, changes.view), recorded.position);
        else {
          decoded ??= await deps.decode(recorded);
          changes.add(await p.project(decoded, changes.view), recorded.position);
        }
      }
    }
    const writes = [...pending].filter(([, changes]) => changes.position > 0);
    await deps.readModels.applyBatch(writes.map(([shadow, changes]) => ({ projection: shadow.projection.name, generation: shadow.generation, position: changes.position, changes: changes.changes })));
    for (const [shadow, changes] of writes) shadow.position = changes.position;
    read += batch.length;
    position = batch[batch.length - 1]!.position;
  }
  return read;
}

async function compare(deps: ReplayDeps, shadow: Shadow, listed: number): Promise<ProjectionReplay> {
  const p = shadow.projection;
  const compared = await differencesOf(deps.readModels, p.collections, shadow.generation);
  const documents = compared.documents;
  let differences = compared.differences;
  let liveMoving = false;
  for (let round = 0; ; round++) {
    const live = await deps.readModels.checkpoints.get(p.name);
    liveMoving = live !== shadow.target;
    if (!liveMoving || differences.length === 0) break;
    if (round === RECHECKS || live < shadow.target) break;
    // The live projector wrote meanwhile: bring the shadow to the same place, then look again.
    shadow.target = live;
    await fill(deps, [shadow]);
    differences = await recheck(deps.readModels, differences, shadow.generation);
  }
  return {
    projection: p.name,
    version: p.version,
    upToDate: true,
    position: shadow.target,
    events: shadow.events,
    documents,
    differenceCount: differences.length,
    differences: differences.slice(0, listed),
    ...(liveMoving && differences.length > 0 ? { liveMoving } : {}),
  };
}
