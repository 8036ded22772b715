/**
 * Per-act data keys. Destroying a key is how retention erases an act's personal data without
 * touching its events. Keys never go into the event store.
 */
export interface KeyVault {
  /**
   * Makes (or returns the existing) 256-bit key for `keyId`: durable before it resolves, or, where the
   * vault shares the event store's transactions, durable with the first event appended after it.
   */
  create(keyId: string): Promise<Buffer>;
  /** The key, or undefined when it was never made or has been destroyed. */
  get(keyId: string): Promise<Buffer | undefined>;
  /** Destroys the keys for good; returns how many existed. */
  destroy(keyIds: string[]): Promise<number>;
}
