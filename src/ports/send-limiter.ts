/** Counts sends per key in a sliding window (codes per citizen per hour). */
export interface SendLimiter {
  /** Records a send and returns true while fewer than `limit` happened in the last `windowMs`; false (nothing recorded) otherwise. */
  tryAcquire(key: string, limit: number, windowMs: number, nowMs: number): Promise<boolean>;
}
