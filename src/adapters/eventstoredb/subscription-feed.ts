import type { Subscription } from '../../ports/event-store.ts';

/** What the adapter needs of the client's subscription: to iterate it and to end it. */
export interface SubscriptionFeed<T> extends AsyncIterable<T> {
  unsubscribe(): Promise<void>;
}

/** The server ended a subscription that nobody closed: what follows the log must subscribe again. */
export class SubscriptionEndedError extends Error {
  override readonly name = 'SubscriptionEndedError';
  constructor(what: string) {
    super(`EventStoreDB ended the ${what} subscription without being asked to; subscribe again from the checkpoint`);
  }
}

/**
 * Runs `handle` on each item of `feed`, one at a time. A feed that ends without `close()` is a
 * failure like any other (the server went away cleanly, or dropped the subscription): it is reported
 * through `onError` and the subscription stops, so the caller resubscribes from its checkpoint, as
 * it does after any error. Without that, the loop would finish and nothing would follow the log.
 */
export function followFeed<T>(
  feed: SubscriptionFeed<T>,
  handle: (item: T) => Promise<void> | void,
  options: { what: string; onError?: (error: unknown) => void; onClosed?: () => void },
): Subscription {
  let stopped = false;
  const loop = (async () => {
    for await (const item of feed) {
      if (stopped) return;
      await handle(item);
    }
    if (!stopped) throw new SubscriptionEndedError(options.what);
  })().catch(async (error: unknown) => {
    if (stopped) return;
    stopped = true;
    await feed.unsubscribe().catch(() => undefined);
    options.onError?.(error);
  });
  return {
    close: async () => {
      stopped = true;
      options.onClosed?.();
      await feed.unsubscribe().catch(() => undefined);
      await loop;
    },
  };
}
