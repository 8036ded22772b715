import Database from 'better-sqlite3';
import { eventRows, recordedFormat, type EventRow, type EventRows } from '../../src/adapters/sqlite/event-file-format.ts';
import type { RecordedEvent } from '../../events/envelope.ts';

/** An event as the file stores it, decoded whatever the file's layout, with its data and metadata as stored JSON text. */
export interface StoredEvent extends RecordedEvent {
  eventId: string;
  dataJson: string;
  metadataJson: string;
}

/** The layout's SQL and conversions for an open event file (event-file-format.ts). */
export function rowsOf(db: Database.Database): EventRows {
  const format = recordedFormat(db);
  if (format === 'new') throw new Error('this file holds no events');
  return eventRows(format);
}

const stored = (e: RecordedEvent): StoredEvent => ({ ...e, eventId: e.metadata.eventId, dataJson: JSON.stringify(e.data), metadataJson: JSON.stringify(e.metadata) });

/** Every event of the file at `file`, in log order, read by a read-only connection (beside a running server, through the WAL). */
export function storedEvents(file: string, where: { streamName?: string } = {}): StoredEvent[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const rows = rowsOf(db);
    const list = where.streamName === undefined
      ? db.prepare<[], EventRow>(`SELECT ${rows.select} FROM events ORDER BY position`).all()
      : db.prepare<[string | Buffer], EventRow>(`SELECT ${rows.select} FROM events WHERE ${rows.streamColumn} = ? ORDER BY position`).all(rows.streamKey(where.streamName));
    return list.map((row) => stored(rows.recorded(row)));
  } finally {
    db.close();
  }
}

/** The stored event at `position` on an open (writable) connection, and the way to store another in its place. */
export function eventAt(db: Database.Database, position: number): { event: RecordedEvent; replace(next: RecordedEvent): void } {
  const rows = rowsOf(db);
  const row = db.prepare<[number], EventRow>(`SELECT ${rows.select} FROM events WHERE position = ?`).get(position);
  if (!row) throw new Error(`no event at position ${position}`);
  return {
    event: rows.recorded(row),
    replace: (next) => {
      db.prepare(rows.update).run(...rows.values(next.streamName, next.revision, next), position);
    },
  };
}
