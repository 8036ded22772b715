import type { NewEvent, RecordedEvent } from '../../../events/envelope.ts';
import {
  WrongExpectedRevisionError,
  type AppendResult,
  type EventStore,
  type ExpectedRevision,
  type SubscribeOptions,
  type Subscription,
} from '../../ports/event-store.ts';
import type { SqliteDatabase } from './database.ts';
import { eventFileFormat, eventRows, streamFromCompact, type EventFileFormat, type EventRow, type EventRows } from './event-file-format.ts';
import { GroupCommit, type SameTransactionWrite } from './group-commit.ts';

interface AppendRequest {
  streamName: string;
  events: NewEvent[];
  expected: ExpectedRevision;
}

const SUBSCRIPTION_BATCH = 500;
/** Decoded events kept at most (in the streams read last): an act's stream is a few of them. */
const DECODED_EVENTS = 20_000;
/** How often a caught-up subscription looks for events appended by another process. */
const POLL_MS = 250;

/**
 * EventStore on SQLite. Appends arriving in the same tick are group-committed: one transaction,
 * one fsync, and each caller still gets its own result or conflict (each append runs in its own
 * savepoint inside the batch).
 */
export class SqliteEventStore implements EventStore {
  private readonly listeners = new Set<() => void>();
  /**
   * Streams read lately, decoded, most recent last. Events never change once stored, so a stream read
   * again only needs its events after the last one kept: the file is still asked each time (one index
   * range), which keeps appends of other processes and connections visible at once, and only those
   * new events are decoded (layout 2 inflates each body: a stream read on every request of an act's
   * flow would otherwise inflate the same events again and again).
   */
  private readonly decoded = new Map<string, RecordedEvent[]>();
  private decodedEvents = 0;
  private closed = false;

  private readonly stmts;
  /** The file's layout (event-file-format.ts): old files are read and written as they are. */
  private readonly rows: EventRows;
  private readonly appends: GroupCommit<AppendRequest, AppendResult>;

  /**
   * `alongside`: writes of other stores in the same file that must be durable with the next append
   * (the data key of an act goes in with its first event: see SqliteKeyVault.pendingKeys).
   */
  constructor(db: SqliteDatabase, options: { alongside?: ReadonlyArray<SameTransactionWrite> } = {}) {
    this.rows = eventRows(eventFileFormat(db));
    db.exec(this.rows.schema);
    const { select, streamColumn: stream } = this.rows;
    this.stmts = {
      lastRevision: db.prepare<[string | Buffer], { revision: number }>(`SELECT revision FROM events WHERE ${stream} = ? ORDER BY revision DESC LIMIT 1`),
      byEventId: db.prepare<[string | Buffer], { position: number; stream: string | Buffer; revision: number; type: string }>(
        `SELECT position, ${stream} AS stream, revision, type FROM events WHERE event_id = ?`,
      ),
      insert: db.prepare<unknown[]>(this.rows.insert),
      readStreamAfter: db.prepare<[string | Buffer, number], EventRow>(`SELECT ${select} FROM events WHERE ${stream} = ? AND revision > ? ORDER BY revision`),
      readAll: db.prepare<[number, number], EventRow>(`SELECT ${select} FROM events WHERE position > ? ORDER BY position LIMIT ?`),
      head: db.prepare<[], { head: number | null }>('SELECT MAX(position) AS head FROM events'),
    };
    // Each append runs in its own savepoint inside the batch: a conflict rolls back that append alone.
    this.appends = new GroupCommit(db, (request: AppendRequest) => this.appendNow(request), {
      alongside: options.alongside ?? [],
      onCommitted: () => {
        for (const notify of this.listeners) notify();
      },
    });
  }

  /** The layout of the file this store writes (1: as versions before 2026-12 wrote it; 2: compact). */
  get format(): EventFileFormat {
    return this.rows.format;
  }

  /** How many transactions appends have committed: fewer than appends when group commit works. */
  get commits(): number {
    return this.appends.commits;
  }

  /** Calls `listener` after each commit of appends made through this store; returns the way to stop. */
  onAppended(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Another connection appended to the file: subscriptions read on now instead of at their next poll. */
  noticeAppendsElsewhere(): void {
    for (const notify of this.listeners) notify();
  }

  append(streamName: string, events: NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new Error('event store is closed'));
    if (events.length === 0) return Promise.reject(new Error('append needs at least one event'));
    return this.appends.submit({ streamName, events, expected });
  }

  /** Runs inside a savepoint: checks the expectation, then inserts, or recognises a repeat. */
  private appendNow({ streamName, events, expected }: AppendRequest): AppendResult {
    const current = this.stmts.lastRevision.get(this.rows.streamKey(streamName))?.revision;
    // A repeat needs the stream its first write made; ids used in another stream fail the insert below.
    const repeat = current === undefined ? undefined : this.recognisedRepeat(streamName, events, expected);
    if (repeat) return repeat;

    const actual = current ?? 'no-stream';
    const ok =
      expected === 'any' ||
      (expected === 'no-stream' && current === undefined) ||
      (expected === 'exists' && current !== undefined) ||
      (typeof expected === 'number' && current === expected);
    if (!ok) throw new WrongExpectedRevisionError(streamName, expected, actual);

    let revision = current ?? -1;
    let position = 0;
    for (const e of events) {
      revision += 1;
      let info;
      try {
        info = this.stmts.insert.run(...this.rows.values(streamName, revision, e));
      } catch (error) {
        // An id already stored (only some of this append's ids repeat, or one repeats inside it): a conflict, not a crash.
        if ((error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new WrongExpectedRevisionError(streamName, expected, actual);
        throw error;
      }
      position = Number(info.lastInsertRowid);
    }
    return { nextExpectedRevision: revision, position, repeated: false };
  }

  /**
   * The same event ids appended again at the same expected revision: the first write stands and
   * is acknowledged again, as a repeat. Ids that exist elsewhere, only in part, or carry another
   * event type are a conflict.
   */
  private recognisedRepeat(streamName: string, events: NewEvent[], expected: ExpectedRevision): AppendResult | undefined {
    const first = this.stmts.byEventId.get(this.rows.eventIdKey(events[0]!.metadata.eventId));
    if (!first) return undefined;
    const startRevision = expected === 'no-stream' ? 0 : typeof expected === 'number' ? expected + 1 : first.revision;
    let last = first;
    for (const [i, e] of events.entries()) {
      const row = this.stmts.byEventId.get(this.rows.eventIdKey(e.metadata.eventId));
      if (!row || streamFromCompact(row.stream) !== streamName || row.revision !== startRevision + i || row.type !== e.type) {
        throw new WrongExpectedRevisionError(streamName, expected, this.stmts.lastRevision.get(this.rows.streamKey(streamName))?.revision ?? 'no-stream');
      }
      last = row;
    }
    return { nextExpectedRevision: last.revision, position: last.position, repeated: true };
  }

  async readStream(streamName: string): Promise<RecordedEvent[]> {
    const key = this.rows.streamKey(streamName);
    const kept = this.decoded.get(streamName);
    // Revisions start at 0: with nothing kept, every event of the stream is after revision -1.
    const newer = this.stmts.readStreamAfter.all(key, kept ? kept.at(-1)!.revision : -1).map(this.rows.recorded);
    const events = kept ? (newer.length > 0 ? kept.concat(newer) : kept) : newer;
    if (kept) {
      this.decoded.delete(streamName);
      this.decodedEvents -= kept.length;
    }
    if (events.length > 0) this.keep(streamName, events);
    return events.slice();
  }

  /** Keeps a stream's decoded events as the most recent, dropping the least recent past DECODED_EVENTS. */
  private keep(streamName: string, events: RecordedEvent[]): void {
    if (events.length > DECODED_EVENTS) return;
    this.decoded.set(streamName, events);
    this.decodedEvents += events.length;
    for (const [oldest, list] of this.decoded) {
      if (this.decodedEvents <= DECODED_EVENTS) break;
      this.decoded.delete(oldest);
      this.decodedEvents -= list.length;
    }
  }

  async readAll(options: { after?: number; limit?: number } = {}): Promise<RecordedEvent[]> {
    return this.stmts.readAll.all(options.after ?? 0, options.limit ?? Number.MAX_SAFE_INTEGER).map(this.rows.recorded);
  }

  async headPosition(): Promise<number> {
    return this.stmts.head.get()?.head ?? 0;
  }

  subscribeToAll(options: SubscribeOptions, handler: (event: RecordedEvent) => Promise<void> | void): Subscription {
    let after = options.after ?? 0;
    let stopped = false;
    let wake: (() => void) | undefined;
    // An append while the handler runs must not wait for the next poll: remember it.
    let appendedMeanwhile = false;
    const notify = () => (wake ? wake() : (appendedMeanwhile = true));
    this.listeners.add(notify);

    const loop = (async () => {
      while (!stopped && !this.closed) {
        appendedMeanwhile = false;
        const batch = this.stmts.readAll.all(after, SUBSCRIPTION_BATCH);
        for (const row of batch) {
          if (stopped) return;
          await handler(this.rows.recorded(row));
          after = row.position;
        }
        if (batch.length < SUBSCRIPTION_BATCH && !appendedMeanwhile) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, POLL_MS);
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          wake = undefined;
        }
      }
    })().catch((error: unknown) => {
      stopped = true;
      options.onError?.(error);
    });

    return {
      close: async () => {
        stopped = true;
        this.listeners.delete(notify);
        wake?.();
        await loop;
      },
    };
  }

  async close(): Promise<void> {
    this.appends.flush();
    this.closed = true;
    for (const notify of this.listeners) notify();
  }
}
