import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openSqlite } from '../../src/adapters/sqlite/database.ts';
import {
  BODY_DICTIONARY_1,
  compactId,
  compactStream,
  decodeBody,
  encodeBody,
  eventFileFormat,
  eventRows,
  idFromCompact,
  recordedFormat,
  streamFromCompact,
} from '../../src/adapters/sqlite/event-file-format.ts';
import { SqliteEventStore } from '../../src/adapters/sqlite/event-store.ts';
import { SqliteKeyVault } from '../../src/adapters/sqlite/key-vault.ts';
import { newId } from '../../src/app/ids.ts';
import type { EventMetadata } from '../../events/envelope.ts';
import { tempDir } from '../support/ledger.ts';

const uuid = fc.uuid().map((u) => u.toLowerCase());
const metadata = (eventId: string): EventMetadata => ({ eventId, correlationId: 'c-1', occurredAt: '2026-12-02T18:00:00.000Z', actor: 'system:expiry', schemaVersion: 1 });

describe('the compact layout of the event file', () => {
  it('keeps a UUID id as its 16 bytes and any other id as text, and gives each back exactly', () => {
    fc.assert(
      fc.property(fc.oneof(uuid, fc.string(), fc.uuid().map((u) => u.toUpperCase())), (id) => {
        const key = compactId(id);
        expect(idFromCompact(key)).toBe(id);
        if (typeof key !== 'string') expect(key).toHaveLength(16);
      }),
    );
    expect(compactId('01a237e6-6789-73a3-aabd-30de9cdc84d9')).toEqual(Buffer.from('01a237e6678973a3aabd30de9cdc84d9', 'hex'));
  });

  it('keeps a stream name ending in a UUID as its prefix and 16 bytes, any other as text, and gives each back exactly', () => {
    fc.assert(
      fc.property(fc.string(), fc.oneof(uuid, fc.string()), (prefix, tail) => {
        const name = `${prefix}${tail}`;
        expect(streamFromCompact(compactStream(name))).toBe(name);
      }),
    );
    const act = compactStream('act-01a237e6-6789-73a3-aabd-30de9cdc84d9') as Buffer;
    expect(act.subarray(0, 4).toString()).toBe('act-');
    expect(act).toHaveLength(20);
    expect(compactStream('ledger-checkpoints')).toBe('ledger-checkpoints');
    // Text that happens to look like a compact key cannot be mistaken for one: the storage classes differ.
    expect(typeof compactStream('act-not-a-uuid')).toBe('string');
  });

  it('gives back every body exactly: the same JSON, member order included', () => {
    fc.assert(
      fc.property(fc.string(), uuid, fc.dictionary(fc.string(), fc.jsonValue()), (streamName, eventId, raw) => {
        // What the store is given is JSON already (the ledger's events are); -0 and the like are JSON's business.
        const data = JSON.parse(JSON.stringify(raw)) as Record<string, unknown>;
        const body = encodeBody(streamName, data, metadata(eventId));
        const back = decodeBody(streamName, eventId, body);
        expect(JSON.stringify(back.data)).toBe(JSON.stringify(data));
        expect(JSON.stringify(back.metadata)).toBe(JSON.stringify(metadata(eventId)));
      }),
    );
  });

  it('reads a body made by the first version of layout 2, byte for byte (the dictionary never changes)', () => {
    expect(createHash('sha256').update(BODY_DICTIONARY_1).digest('hex')).toBe('e796f870f1308b50657d1f61ecd4696573635c277585d893b41e3ca2e0c85e40');
    const stream = 'act-01a237e6-6789-73a3-aabd-30de9cdc84d9';
    const body = Buffer.from('AcPi7mRdQ5wuNQoxtMDrUnBIVmJ3EzzpEOMw5GyLyKFIuRKnm2pjAQ==', 'base64');
    expect(decodeBody(stream, '01a237e6-6789-73a4-867d-05cafb4b37d3', body)).toEqual({
      data: { actId: '01a237e6-6789-73a3-aabd-30de9cdc84d9', reason: 'expired', failedAt: '2026-12-02T18:00:00.000Z' },
      metadata: metadata('01a237e6-6789-73a4-867d-05cafb4b37d3'),
    });
    // A body of another stream does not open with this stream's dictionary.
    expect(() => decodeBody('act-other', 'x', body)).toThrow();
    expect(() => decodeBody(stream, 'x', Buffer.from([9, 1, 2]))).toThrow(/encoded as 9/);
  });

  it('a new file is made compact and says so; a file of an earlier version stays in layout 1; a newer layout is refused', () => {
    const dir = tempDir('event-layout-');
    const fresh = openSqlite(join(dir, 'new.sqlite'));
    expect(recordedFormat(fresh)).toBe('new');
    const store = new SqliteEventStore(fresh);
    new SqliteKeyVault(fresh, { withEvents: true });
    expect(store.format).toBe(2);
    expect(fresh.pragma('user_version', { simple: true })).toBe(2);
    fresh.close();

    const old = openSqlite(join(dir, 'old.sqlite'));
    old.exec(eventRows(1).schema);
    expect(new SqliteEventStore(old).format).toBe(1);
    expect(old.pragma('user_version', { simple: true })).toBe(0);
    old.pragma('user_version = 7');
    expect(() => eventFileFormat(old)).toThrow(/layout 7.*newer/);
    old.close();
  });

  it('a fresh act\'s event takes well under half of what layout 1 gives it', async () => {
    const sizes = await Promise.all(([1, 2] as const).map(async (format) => {
      const db = openSqlite(':memory:');
      if (format === 1) db.exec(eventRows(1).schema);
      const store = new SqliteEventStore(db);
      const actId = newId();
      const data = { actId, providerId: newId(), providerName: 'Benchmark e-service', loa: null, gateway: 'national', methods: ['authentication', 'sms'], requestDigest: 'ab'.repeat(32), attemptsAllowed: 5, expiresAt: '2026-12-03T17:56:16.393Z', registeredAt: '2026-12-02T17:56:16.393Z', sealed: { alg: 'A256GCM', iv: 'Y13S5MKdt4ff7aD2', ct: randomBytes(231).toString('base64'), tag: 'IxYJXr1gVnv5jFGHZUSswA==' } };
      await store.append(`act-${actId}`, [{ type: 'ActRegistered', data, metadata: { ...metadata(newId()), actor: data.providerId } }], 'no-stream');
      const row = db.prepare('SELECT * FROM events').get() as Record<string, string | Buffer | number>;
      const bytes = Object.values(row).reduce<number>((sum, v) => sum + (typeof v === 'number' ? 0 : Buffer.byteLength(v)), 0);
      db.close();
      return bytes;
    }));
    expect(sizes[1]! * 2).toBeLessThan(sizes[0]!);
  });
});
