import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSqlite } from '../../src/adapters/sqlite/database.ts';
import { eventRows } from '../../src/adapters/sqlite/event-file-format.ts';
import { MigrationRefusedError, migrateEventFile } from '../../src/adapters/sqlite/event-file-migration.ts';
import { SqliteEventStore } from '../../src/adapters/sqlite/event-store.ts';
import { SqliteKeyVault } from '../../src/adapters/sqlite/key-vault.ts';
import { SqliteProjectionLease } from '../../src/adapters/sqlite/projection-lease.ts';
import { SqliteReplayGuard } from '../../src/adapters/sqlite/replay-guard.ts';
import { newId } from '../../src/app/ids.ts';
import { tempDir } from '../support/ledger.ts';
import { storedEvents } from '../support/stored-events.ts';

/** A layout-1 file (as versions before the compact layout wrote it) with `acts` acts, their keys and some other rows. */
async function formatOneFile(acts: number): Promise<{ file: string; keyIds: string[] }> {
  const file = join(tempDir('migrate-'), 'ledger.sqlite');
  const db = openSqlite(file);
  db.exec(eventRows(1).schema);
  const vault = new SqliteKeyVault(db, { withEvents: true });
  const store = new SqliteEventStore(db, { alongside: [vault.pendingKeys] });
  const guard = new SqliteReplayGuard(db);
  const keyIds: string[] = [];
  const meta = () => ({ eventId: newId(), correlationId: newId(), occurredAt: new Date().toISOString(), actor: 'p-1', schemaVersion: 1 });
  for (let i = 0; i < acts; i += 500) {
    await Promise.all(Array.from({ length: Math.min(500, acts - i) }, async (_, j) => {
      const actId = newId();
      keyIds.push(actId);
      await vault.create(actId);
      await store.append(`act-${actId}`, [{ type: 'ActRegistered', data: { actId, n: i + j, nested: { z: 1, a: [1, 'two', null] } }, metadata: meta() }, { type: 'ActAuthorized', data: { method: 'sms' }, metadata: meta() }], 'no-stream');
    }));
  }
  // Ids and names that are not UUIDs stay text in either layout.
  await store.append('ledger-checkpoints', [{ type: 'LedgerCheckpointed', data: { treeSize: 3 }, metadata: { ...meta(), eventId: 'not-a-uuid' } }], 'no-stream');
  await store.append(`act-${newId().toUpperCase()}`, [{ type: 'ActRegistered', data: {}, metadata: meta() }], 'no-stream');
  expect(await guard.consume('jti', 'seen-once', Date.now() + 60_000)).toBe(true);
  await store.close();
  db.close();
  return { file, keyIds };
}

describe('ledger store migrate: a layout-1 file into the compact layout', () => {
  it('copies every event at its position, every key and every other row, checks them, and keeps the original', async () => {
    const { file, keyIds } = await formatOneFile(12_000);
    const before = storedEvents(file);
    const lines: string[] = [];
    const report = migrateEventFile(file, { progress: (l) => lines.push(l) });
    expect(report).toMatchObject({ migrated: true, from: 1, to: 2, events: before.length, dataKeys: keyIds.length });
    if (!report.migrated) return;
    expect(report.bytesAfter).toBeLessThan(report.bytesBefore * 0.75);
    expect(lines.join('\n')).toContain('checking every one');
    expect(storedEvents(file)).toEqual(before);
    expect(readFileSync(report.previousFile).subarray(0, 16).toString()).toBe('SQLite format 3\0');
    expect(existsSync(`${file}.migrating`)).toBe(false);

    // The new file works as the store and the vault of a ledger, and goes on after the last position.
    const db = openSqlite(file);
    const vault = new SqliteKeyVault(db, { withEvents: true });
    const store = new SqliteEventStore(db, { alongside: [vault.pendingKeys] });
    expect(store.format).toBe(2);
    for (const id of keyIds.slice(0, 50)) expect(await vault.get(id)).toHaveLength(32);
    const stream = before[0]!.streamName;
    expect(await store.readStream(stream)).toEqual(before.filter((e) => e.streamName === stream).map(({ eventId: _i, dataJson: _d, metadataJson: _m, ...e }) => e));
    const appended = await store.append('after', [{ type: 'X', data: {}, metadata: { eventId: newId(), correlationId: 'c', occurredAt: '2026-12-02T00:00:00.000Z', actor: 'a', schemaVersion: 1 } }], 'no-stream');
    expect(appended.position).toBe(before.at(-1)!.position + 1);
    // A repeat of an event copied from the old file is still recognised as one.
    const first = before[0]!;
    await expect(store.append(first.streamName, [{ type: first.type, data: first.data, metadata: first.metadata }], 'no-stream')).resolves.toMatchObject({ repeated: true });
    await store.close();
    db.close();

    expect(migrateEventFile(file)).toMatchObject({ migrated: false, format: 2 });
  });

  it('leaves the original as it was when a stored event cannot be read, and no copy behind', async () => {
    const { file } = await formatOneFile(10);
    const db = openSqlite(file);
    db.prepare("UPDATE events SET data = '{not json' WHERE position = 3").run();
    db.close();
    const bytes = readFileSync(file);
    expect(() => migrateEventFile(file)).toThrow();
    expect(readFileSync(file).equals(bytes)).toBe(true);
    expect(existsSync(`${file}.migrating`)).toBe(false);
    expect(existsSync(`${file}.layout-1`)).toBe(false);
  });

  it('refuses while a ledger process holds the file\'s leases, and when an earlier original is still in the way', async () => {
    const { file } = await formatOneFile(10);
    const db = openSqlite(file);
    const lease = new SqliteProjectionLease(db);
    const grant = await lease.acquire('projections', 'this-test', 60_000);
    expect(() => migrateEventFile(file)).toThrow(MigrationRefusedError);
    await lease.release('projections', 'this-test', grant!.token);
    db.close();
    writeFileSync(`${file}.layout-1`, 'in the way');
    expect(() => migrateEventFile(file)).toThrow(/exists already/);
    expect(() => migrateEventFile(join(tempDir('migrate-'), 'none.sqlite'))).toThrow(/does not exist/);
  });
});
