import { constants, deflateRawSync, inflateRawSync } from 'node:zlib';
import type { EventMetadata, NewEvent, RecordedEvent } from '../../../events/envelope.ts';
import type { SqliteDatabase } from './database.ts';

/**
 * How the ledger's SQLite file lays out events and data keys. One layout per file, recorded in
 * `PRAGMA user_version`, never mixed inside a file:
 *
 * - **1 (user_version 0)**: what versions before 2026-12 wrote. Ids and stream names as text, `data`
 *   and `metadata` as JSON text. Still read and written as they are: opening an old file rewrites
 *   nothing.
 * - **2**: compact. Ids that are UUIDs as their 16 bytes; stream names ending in a UUID as the
 *   family prefix then those 16 bytes; the event's data and metadata (less its event id, kept once,
 *   in its own column) as one body of raw DEFLATE (RFC 1951) over their JSON, with a preset
 *   dictionary of the names and values events repeat and the event's stream name. A new file is
 *   made in this layout; `ledger store migrate` copies an old file into it (event-file-migration.ts).
 *
 * What comes back is the same either way: JSON keeps member order and every value, so an event's
 * canonical bytes (events/canonical.ts), and the log's tree over them, do not depend on the layout.
 */
export type EventFileFormat = 1 | 2;

export const COMPACT_FORMAT: EventFileFormat = 2;

/** The file's layout, as its header records it; 'new' when it holds neither events nor data keys yet. */
export function recordedFormat(db: SqliteDatabase): EventFileFormat | 'new' {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version === COMPACT_FORMAT) return COMPACT_FORMAT;
  if (version !== 0) throw new Error(`this event file has layout ${version}, which this version of the ledger does not know: it was written by a newer one`);
  const used = db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name IN ('events', 'data_keys') LIMIT 1").get();
  return used ? 1 : 'new';
}

/** The file's layout; a new file is given the compact one (recorded before any table of it exists). */
export function eventFileFormat(db: SqliteDatabase): EventFileFormat {
  const format = recordedFormat(db);
  if (format !== 'new') return format;
  db.pragma(`user_version = ${COMPACT_FORMAT}`);
  return COMPACT_FORMAT;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A UUID (lowercase, hyphenated) as its 16 bytes; any other id as it is. */
export function compactId(id: string): string | Buffer {
  return id.length === 36 && UUID.test(id) ? Buffer.from(id.replaceAll('-', ''), 'hex') : id;
}

export function idFromCompact(key: string | Buffer): string {
  return typeof key === 'string' ? key : uuidText(key, 0);
}

/** A stream name ending in a UUID (`act-<uuid>`) as its prefix and the UUID's 16 bytes; any other as it is. */
export function compactStream(name: string): string | Buffer {
  const cut = name.length - 36;
  if (cut < 0 || !UUID.test(name.slice(cut))) return name;
  const out = Buffer.allocUnsafe(Buffer.byteLength(name.slice(0, cut)) + 16);
  const written = out.write(name.slice(0, cut), 0, 'utf8');
  out.write(name.slice(cut).replaceAll('-', ''), written, 'hex');
  return out;
}

export function streamFromCompact(key: string | Buffer): string {
  return typeof key === 'string' ? key : key.toString('utf8', 0, key.length - 16) + uuidText(key, key.length - 16);
}

function uuidText(bytes: Buffer, at: number): string {
  const hex = bytes.toString('hex', at, at + 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** The first byte of a body: how the rest is encoded. Only one so far. */
const BODY_DEFLATE_D1 = 1;

/**
 * Dictionary 1 of the bodies: names and values events repeat, the most frequent last (nearest,
 * cheapest to refer to). Part of layout 2 for good: a body made with it can be read only with it,
 * byte for byte, so it never changes (a test pins its digest); a better one would be body encoding 2.
 */
export const BODY_DICTIONARY_1 = Buffer.from(
  [
    '"changeId":"","adminId":"admin:","confirmationId":"","applicationId":"","certificateId":"","environment":"production","integration","simulator"',
    '"checkpoint":"","treeSize":,"rootHash":"","signedAt":"","note":"',
    '"authenticationId":"","outcome":"authenticated","loaAchieved":"means":"","completedAt":"","requestedAt":"","forceAuth":true,"redirectUri":"https://',
    '"identity":"","identity-mismatch","loa-too-low","authentication-failed","reportedAt":"","receiptCommitment":"","receiptSalt":"',
    '"sepp":"","aifo":"","documentHash":"","name":"","description":"',
    '"type":"","reason":"attempts-exhausted","expired","cancelled","failedAt":"',
    '"method":"authentication","mobile-key","sms","loa":null,"authorizedAt":"',
    '"codeId":"","channel":"sms","verifier":"","issuedAt":"","destinationHint":"+420 *** *** ","deliveredAt":"","attempts":1,"attemptsLeft":,"attemptedAt":"","outcome":"mismatch","matched","superseded"',
    '{"actId":"","providerId":"","providerName":"","methods":["authentication","sms"],"loa":"substantial","high","low",null,"gateway":"national","international","requestDigest":"","attemptsAllowed":5,"registeredAt":"","expiresAt":"',
    '"sealed":{"alg":"A256GCM","iv":"","ct":"","tag":"=="}}',
    '[{"correlationId":"","causationId":"","occurredAt":"2026-12-01T00:00:00.000Z","actor":"system:retention","citizen","admin:","schemaVersion":1},{',
  ].join(''),
  'utf8',
);

/** The body's dictionary: dictionary 1, then the stream name (an act's id in its data is then a reference to it). */
const dictionaryFor = (streamName: string) => Buffer.concat([BODY_DICTIONARY_1, Buffer.from(streamName, 'utf8')]);

/** The data and metadata (less the event id) of an event, as a layout-2 body. */
export function encodeBody(streamName: string, data: Record<string, unknown>, metadata: EventMetadata): Buffer {
  const { eventId: _kept, ...rest } = metadata;
  // Level 1: within 2% of the default's size at four fifths of its time (any level reads back the same way).
  const packed = deflateRawSync(JSON.stringify([rest, data]), { dictionary: dictionaryFor(streamName), level: constants.Z_BEST_SPEED });
  const body = Buffer.allocUnsafe(packed.length + 1);
  body[0] = BODY_DEFLATE_D1;
  packed.copy(body, 1);
  return body;
}

export function decodeBody(streamName: string, eventId: string, body: Buffer): { data: Record<string, unknown>; metadata: EventMetadata } {
  if (body[0] !== BODY_DEFLATE_D1) throw new Error(`event body of ${streamName} encoded as ${body[0]}, which this version of the ledger does not know`);
  const json = inflateRawSync(body.subarray(1), { dictionary: dictionaryFor(streamName) }).toString('utf8');
  const [rest, data] = JSON.parse(json) as [Omit<EventMetadata, 'eventId'>, Record<string, unknown>];
  return { data, metadata: { eventId, ...rest } };
}

/** A row of `events` as the statements below select it, in either layout. */
export interface EventRow {
  position: number;
  stream: string | Buffer;
  revision: number;
  event_id: string | Buffer;
  type: string;
  /** Layout 2. */
  body?: Buffer;
  /** Layout 1. */
  data?: string;
  metadata?: string;
}

/** The SQL and the conversions of one layout: what the event store, the migration and the tests share. */
export interface EventRows {
  format: EventFileFormat;
  /** CREATE TABLE IF NOT EXISTS of `events` in this layout. */
  schema: string;
  /** The columns of an EventRow, for `SELECT ${select} FROM events ...`. */
  select: string;
  /** Column names of the stream and the event id, for WHERE clauses. */
  streamColumn: string;
  /** INSERT of one event at the next position; `values` gives its parameters. */
  insert: string;
  /** INSERT at a given position (copying a log); parameters: position, then `values`. */
  insertAt: string;
  values(streamName: string, revision: number, event: Pick<NewEvent, 'type' | 'data' | 'metadata'>): unknown[];
  /** The statement that rewrites the stored content of one event in place (tests that tamper); parameters: `values`, then position. */
  update: string;
  streamKey(name: string): string | Buffer;
  eventIdKey(id: string): string | Buffer;
  recorded(row: EventRow): RecordedEvent;
}

const LAYOUT_1: EventRows = {
  format: 1,
  schema: `
    CREATE TABLE IF NOT EXISTS events (
      position    INTEGER PRIMARY KEY AUTOINCREMENT,
      stream_name TEXT NOT NULL,
      revision    INTEGER NOT NULL,
      event_id    TEXT NOT NULL UNIQUE,
      type        TEXT NOT NULL,
      data        TEXT NOT NULL,
      metadata    TEXT NOT NULL,
      UNIQUE (stream_name, revision)
    );`,
  select: 'position, stream_name AS stream, revision, event_id, type, data, metadata',
  streamColumn: 'stream_name',
  insert: 'INSERT INTO events (stream_name, revision, event_id, type, data, metadata) VALUES (?, ?, ?, ?, ?, ?)',
  insertAt: 'INSERT INTO events (position, stream_name, revision, event_id, type, data, metadata) VALUES (?, ?, ?, ?, ?, ?, ?)',
  update: 'UPDATE events SET stream_name = ?, revision = ?, event_id = ?, type = ?, data = ?, metadata = ? WHERE position = ?',
  values: (streamName, revision, e) => [streamName, revision, e.metadata.eventId, e.type, JSON.stringify(e.data), JSON.stringify(e.metadata)],
  streamKey: (name) => name,
  eventIdKey: (id) => id,
  recorded: (row) => ({
    streamName: row.stream as string,
    revision: row.revision,
    position: row.position,
    type: row.type,
    data: JSON.parse(row.data!) as Record<string, unknown>,
    metadata: JSON.parse(row.metadata!) as EventMetadata,
  }),
};

const LAYOUT_2: EventRows = {
  format: 2,
  schema: `
    CREATE TABLE IF NOT EXISTS events (
      position    INTEGER PRIMARY KEY AUTOINCREMENT,
      stream      BLOB NOT NULL,
      revision    INTEGER NOT NULL,
      event_id    BLOB NOT NULL UNIQUE,
      type        TEXT NOT NULL,
      body        BLOB NOT NULL,
      UNIQUE (stream, revision)
    );`,
  select: 'position, stream, revision, event_id, type, body',
  streamColumn: 'stream',
  insert: 'INSERT INTO events (stream, revision, event_id, type, body) VALUES (?, ?, ?, ?, ?)',
  insertAt: 'INSERT INTO events (position, stream, revision, event_id, type, body) VALUES (?, ?, ?, ?, ?, ?)',
  update: 'UPDATE events SET stream = ?, revision = ?, event_id = ?, type = ?, body = ? WHERE position = ?',
  values: (streamName, revision, e) => [compactStream(streamName), revision, compactId(e.metadata.eventId), e.type, encodeBody(streamName, e.data, e.metadata)],
  streamKey: compactStream,
  eventIdKey: compactId,
  recorded: (row) => {
    const streamName = streamFromCompact(row.stream);
    const { data, metadata } = decodeBody(streamName, idFromCompact(row.event_id), row.body!);
    return { streamName, revision: row.revision, position: row.position, type: row.type, data, metadata };
  },
};

export const eventRows = (format: EventFileFormat): EventRows => (format === 1 ? LAYOUT_1 : LAYOUT_2);
