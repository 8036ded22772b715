/**
 * Time from an event's append to its read-model write, over the last `capacity` events applied
 * within `windowMs`: the figure behind "projection lag p99" in /readyz and /metrics.
 */
export class ApplyLagWindow {
  private readonly lags: Float64Array;
  private readonly appliedAt: Float64Array;
  private next = 0;
  private size = 0;

  constructor(
    private readonly capacity = 4096,
    private readonly windowMs = 60_000,
  ) {
    this.lags = new Float64Array(capacity);
    this.appliedAt = new Float64Array(capacity);
  }

  record(lagMs: number, appliedAt: number): void {
    this.lags[this.next] = Math.max(0, lagMs);
    this.appliedAt[this.next] = appliedAt;
    this.next = (this.next + 1) % this.capacity;
    this.size = Math.min(this.size + 1, this.capacity);
  }

  /** The lags of the events applied within the window, ascending. */
  private recent(now: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.size; i++) if (now - this.appliedAt[i]! <= this.windowMs) out.push(this.lags[i]!);
    return out.sort((a, b) => a - b);
  }

  /** Nearest-rank percentile (0-100) of the recent lags, ms; null when nothing was applied within the window. */
  percentile(p: number, now: number): { value: number | null; samples: number } {
    const recent = this.recent(now);
    if (recent.length === 0) return { value: null, samples: 0 };
    const rank = Math.max(1, Math.ceil((p / 100) * recent.length));
    return { value: recent[rank - 1]!, samples: recent.length };
  }
}

/** One projection's figures in /readyz and /metrics. */
export interface ProjectionFigures {
  name: string;
  version: number;
  /** Its checkpoint: a log position (a cursor, shown as it is; not a count). */
  position: number;
  /** Events in the log after the checkpoint, counted (at most LAG_COUNT_LIMIT), never subtracted from positions. */
  lagEvents: number;
  rebuilding: boolean;
}

export interface ProjectionLag {
  running: boolean;
  /** The last failure, until a batch is written again. */
  error?: string;
  /** The log's last position (a cursor). */
  headPosition: number;
  /** The lowest checkpoint of all projections (the head when there are none). */
  position: number;
  /** Events after the lowest checkpoint: the most any projection has still to write. */
  lagEvents: number;
  /** p99 of append-to-write time of the events written in the last minute, ms; null when none were. */
  lagMsP99: number | null;
  lagSamples: number;
  projections: ProjectionFigures[];
}
