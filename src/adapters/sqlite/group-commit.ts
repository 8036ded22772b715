import { commitLazily, type SqliteDatabase } from './database.ts';

/**
 * A write another store makes inside a batch's transaction, before the batch's own writes: it is
 * committed, and fsynced, with them, and needs no transaction of its own. `committed` runs once the
 * transaction has committed (not when it failed: what it wrote then is written again next time).
 */
export interface SameTransactionWrite {
  write(): void;
  committed(): void;
}

/**
 * Runs the writes that arrive in the same tick in one transaction, so they share one fsync
 * (synchronous=FULL makes each commit wait for the disk). Each caller gets its own result or error:
 * a write that throws rolls back alone, in its own savepoint.
 */
export class GroupCommit<Input, Output> {
  private pending: Array<{ input: Input; resolve: (o: Output) => void; reject: (e: unknown) => void }> = [];
  private readonly commit: (inputs: Input[]) => Array<{ ok: Output } | { error: unknown }>;
  /** Transactions committed so far; fewer than writes when batching works. */
  commits = 0;

  /**
   * `lazy`: commit without its own fsync (see commitLazily); the next durable commit carries it.
   * `onCommitted`: called after each batch is committed and answered (the event store wakes subscribers).
   * `alongside`: writes of other stores run first inside every batch's transaction, durable with it
   * (the data keys of the acts whose events follow); one that throws fails the whole batch.
   */
  constructor(
    db: SqliteDatabase,
    write: (input: Input) => Output,
    private readonly options: { lazy?: boolean; onCommitted?: () => void; alongside?: ReadonlyArray<SameTransactionWrite> } = {},
  ) {
    const one = db.transaction(write);
    const batch = db.transaction((inputs: Input[]) => {
      for (const other of options.alongside ?? []) other.write();
      return inputs.map((input) => {
        try {
          return { ok: one(input) };
        } catch (error) {
          return { error };
        }
      });
    });
    // IMMEDIATE: the write lock is taken before the first read, so another connection's commit in
    // between cannot turn this transaction's upgrade into SQLITE_BUSY (it waits its turn instead).
    const commitNow = (inputs: Input[]) => batch.immediate(inputs);
    this.commit = options.lazy ? (inputs) => commitLazily(db, () => commitNow(inputs)) : commitNow;
  }

  submit(input: Input): Promise<Output> {
    return new Promise((resolve, reject) => {
      if (this.pending.push({ input, resolve, reject }) === 1) setImmediate(() => this.flush());
    });
  }

  /** Commits what is waiting now (also called on close). */
  flush(): void {
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    let results: Array<{ ok: Output } | { error: unknown }>;
    try {
      results = this.commit(batch.map((p) => p.input));
      this.commits += 1;
    } catch (error) {
      for (const p of batch) p.reject(error);
      return;
    }
    for (const other of this.options.alongside ?? []) other.committed();
    batch.forEach((p, i) => {
      const r = results[i]!;
      if ('ok' in r) p.resolve(r.ok);
      else p.reject(r.error);
    });
    this.options.onCommitted?.();
  }
}
