import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqlite, type SqliteDatabase } from '../../src/adapters/sqlite/database.ts';
import { SqliteEventStore } from '../../src/adapters/sqlite/event-store.ts';
import { SqliteKeyVault } from '../../src/adapters/sqlite/key-vault.ts';
import { newEvent } from '../support/events.ts';
import { tempDir } from '../support/ledger.ts';

/** The data keys of the SQLite KeyVault, as another connection to the file sees them. */
function storedKeys(file: string): { of(keyId: string): Buffer | undefined; close(): void } {
  const db = openSqlite(file);
  const get = db.prepare<[string], { key: Buffer }>('SELECT key FROM data_keys WHERE key_id = ?');
  return { of: (keyId) => get.get(keyId)?.key, close: () => db.close() };
}

describe('SQLite KeyVault on the events\' file: keys ride on the next append', () => {
  const opened: SqliteDatabase[] = [];
  afterEach(() => {
    for (const db of opened.splice(0)) db.close();
  });

  /** `failing`: another write alongside, after the keys, that throws while it returns true (a full disk). */
  function vaultWithEvents(failing: () => boolean = () => false) {
    const file = join(tempDir(), 'ledger.sqlite');
    const db = openSqlite(file);
    opened.push(db);
    const vault = new SqliteKeyVault(db, { withEvents: true });
    const diskFull = {
      write: () => {
        if (failing()) throw new Error('disk full');
      },
      committed: () => undefined,
    };
    const events = new SqliteEventStore(db, { alongside: [vault.pendingKeys, diskFull] });
    return { file, events, vault };
  }

  it('answers a new key at once and stores it in the transaction of the act\'s first event', async () => {
    const { file, events, vault } = vaultWithEvents();
    const key = await vault.create('a1');
    expect(key).toHaveLength(32);
    expect(await vault.get('a1')).toEqual(key);
    expect(await vault.create('a1'), 'the same key again').toEqual(key);
    const stored = storedKeys(file);
    expect(stored.of('a1'), 'not written before the event').toBeUndefined();
    await events.append('act-a1', [newEvent('ActRegistered')], 'no-stream');
    expect(stored.of('a1')).toEqual(key);
    expect(await vault.create('a1'), 'the stored key, once written').toEqual(key);
    stored.close();
  });

  it('keeps a key whose transaction failed, and writes it with the next one', async () => {
    let diskFull = true;
    const { file, events, vault } = vaultWithEvents(() => diskFull);
    const key = await vault.create('a2');
    await expect(events.append('act-a2', [newEvent('ActRegistered')], 'no-stream')).rejects.toThrow('disk full');
    const stored = storedKeys(file);
    expect(stored.of('a2')).toBeUndefined();
    expect(await vault.get('a2')).toEqual(key);
    diskFull = false;
    await events.append('act-a2', [newEvent('ActRegistered')], 'no-stream');
    expect(stored.of('a2')).toEqual(key);
    stored.close();
  });

  it('destroys a key for good, staged or stored', async () => {
    const { events, vault } = vaultWithEvents();
    await vault.create('stored');
    await events.append('act-stored', [newEvent('ActRegistered')], 'no-stream');
    await vault.create('staged');
    expect(await vault.destroy(['stored', 'staged'])).toBe(1);
    await events.append('act-other', [newEvent('ActRegistered')], 'no-stream');
    expect(await vault.get('stored')).toBeUndefined();
    expect(await vault.get('staged')).toBeUndefined();
  });
});

// The vault on a file of its own (each key durable before it is answered) runs the KeyVault contract:
// test/contract/key-vault.sqlite.test.ts.
