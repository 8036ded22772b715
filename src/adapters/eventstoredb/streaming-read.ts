/** What the adapter needs of the client's StreamingRead: to iterate it, and to cancel its gRPC call. */
export interface CancellableRead<T> extends AsyncIterable<T> {
  cancel(): Promise<void>;
}

/** Returned by a visitor to end a read before the server has sent all of it. */
export const STOP = Symbol('stop');

/** A read that took longer than its deadline: its gRPC call was cancelled. */
export class ReadDeadlineError extends Error {
  override readonly name = 'ReadDeadlineError';
  constructor(
    readonly what: string,
    readonly deadlineMs: number,
  ) {
    super(`EventStoreDB ${what} did not finish within ${deadlineMs} ms`);
  }
}

/**
 * Hands each item of `read` to `visit` until the read ends or `visit` returns STOP, then cancels the
 * read's gRPC call however the loop ended. Leaving a `for await` early only destroys the client's
 * stream object: the call itself stays open, holding one of the server's concurrent streams (about a
 * hundred), until the connection closes. The whole read also has a deadline: the client (6.2) passes
 * no deadline to reads whatever the caller's `deadline` option says, so a stalled server would keep
 * the caller waiting forever.
 */
export async function readEach<T>(
  read: CancellableRead<T>,
  visit: (item: T) => typeof STOP | void,
  options: { deadlineMs: number; what: string },
): Promise<void> {
  const items = read[Symbol.asyncIterator]();
  let timer: NodeJS.Timeout | undefined;
  // Raced against each item rather than left to the stream: a stalled read may never notice it was destroyed.
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ReadDeadlineError(options.what, options.deadlineMs)), options.deadlineMs);
  });
  try {
    for (;;) {
      const next = await Promise.race([items.next(), deadline]);
      if (next.done || visit(next.value) === STOP) return;
    }
  } finally {
    clearTimeout(timer);
    cancelQuietly(read);
    // Releases the client's stream object; not awaited, for the same reason as the cancel.
    items.return?.().catch(() => undefined);
  }
}

/**
 * Cancels without waiting: the client waits for its call to be created before cancelling it, which
 * a connection being set up can make slow, and cancelling a call the server has finished is a no-op.
 */
function cancelQuietly(read: { cancel(): Promise<void> }): void {
  try {
    read.cancel().catch(() => undefined);
  } catch {
    // Nothing to cancel.
  }
}
