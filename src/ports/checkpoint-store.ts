/**
 * How far each projection has read the global log. The ReadModelStore writes a checkpoint in the
 * same step as the changes it stands for, so both live in the same adapter.
 */
export interface CheckpointStore {
  /** Position of the last event applied to the projection's live read model (or to `generation`); 0 when none. */
  get(projection: string, generation?: number): Promise<number>;
  /** Empties the projection's live collections and sets its checkpoint to 0, in one step: the next run replays it. */
  reset(projection: string): Promise<void>;
}
