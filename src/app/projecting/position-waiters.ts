interface Waiter {
  position: number;
  resolve: () => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** Callers waiting for the projections to pass a position (tests, read-your-writes). */
export class PositionWaiters {
  private readonly waiting = new Set<Waiter>();

  constructor(private readonly reached: (position: number) => boolean) {}

  /** Resolves once `reached(position)`; rejects after `timeoutMs`. */
  wait(position: number, timeoutMs: number): Promise<void> {
    if (this.reached(position)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        position,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiting.delete(waiter);
          reject(new Error(`projections did not reach position ${position} within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.waiting.add(waiter);
    });
  }

  /** Resolves every waiter whose position is now reached. */
  settle(): void {
    for (const w of this.waiting) {
      if (!this.reached(w.position)) continue;
      clearTimeout(w.timer);
      this.waiting.delete(w);
      w.resolve();
    }
  }

  rejectAll(error: Error): void {
    for (const w of this.waiting) {
      clearTimeout(w.timer);
      w.reject(error);
    }
    this.waiting.clear();
  }
}
