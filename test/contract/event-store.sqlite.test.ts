import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSqlite } from '../../src/adapters/sqlite/database.ts';
import { SqliteEventStore } from '../../src/adapters/sqlite/event-store.ts';
import { eventRows, type EventFileFormat } from '../../src/adapters/sqlite/event-file-format.ts';
import { WrongExpectedRevisionError } from '../../src/ports/event-store.ts';
import { tempDir } from '../support/ledger.ts';
import { eventStoreContract, newEvent } from './event-store.contract.ts';

/** A store on a fresh temp file; reopen closes the file and opens it again, as a restart would. */
async function sqliteStore(format: EventFileFormat = 2) {
  const dir = tempDir('event-store-');
  const file = join(dir, 'ledger.sqlite');
  let db = openSqlite(file);
  // A file as versions before the compact layout made it: their table, no layout recorded.
  if (format === 1) db.exec(eventRows(1).schema);
  let store = new SqliteEventStore(db);
  expect(store.format).toBe(format);
  const closeAll = async () => {
    await store.close();
    db.close();
  };
  return {
    store,
    dir,
    reopen: async () => {
      await closeAll();
      db = openSqlite(file);
      store = new SqliteEventStore(db);
      return store;
    },
    cleanup: async () => {
      await closeAll();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

eventStoreContract('SQLite', () => sqliteStore(2));
// Files written before the compact layout keep being read and written as they are.
eventStoreContract('SQLite, layout 1 (a file of an earlier version)', () => sqliteStore(1));

describe('SQLite event store: group commit', () => {
  it('commits appends arriving in the same tick together, and each caller still gets its own outcome', async () => {
    const subject = await sqliteStore();
    const store = subject.store as SqliteEventStore;
    try {
      await store.append('existing', [newEvent()], 'no-stream');
      const before = store.commits;
      const n = 200;
      const outcomes = await Promise.allSettled([
        ...Array.from({ length: n }, (_, i) => store.append(`group-${i}`, [newEvent()], 'no-stream')),
        store.append('existing', [newEvent()], 'no-stream'),
      ]);
      expect(outcomes.slice(0, n).every((o) => o.status === 'fulfilled')).toBe(true);
      expect(outcomes[n]!.status).toBe('rejected');
      const transactions = store.commits - before;
      expect(transactions).toBeGreaterThanOrEqual(1);
      expect(transactions).toBeLessThan(n / 10);
      // The refused append rolled back alone; its neighbours in the same transaction are stored.
      expect(await store.readStream('existing')).toHaveLength(1);
      expect(await store.readStream(`group-${n - 1}`)).toHaveLength(1);
    } finally {
      await subject.cleanup();
    }
  });
});

describe('SQLite event store: event ids', () => {
  // Ids are unique across the whole log here (the contract asks it only within a stream).
  it('refuses, as a conflict, an id already stored in another stream, and writes none of the append', async () => {
    const subject = await sqliteStore();
    try {
      const a = newEvent();
      await subject.store.append('s', [a], 'no-stream');
      await expect(subject.store.append('t', [a], 'no-stream')).rejects.toBeInstanceOf(WrongExpectedRevisionError);
      await expect(subject.store.append('t', [newEvent(), a], 'no-stream')).rejects.toBeInstanceOf(WrongExpectedRevisionError);
      expect((await subject.store.readAll()).map((e) => e.metadata.eventId)).toEqual([a.metadata.eventId]);
    } finally {
      await subject.cleanup();
    }
  });
});

describe('SQLite event store: streams read again', () => {
  for (const format of [1, 2] as const) {
    it(`sees at once what another connection appended to a stream it read before (layout ${format})`, async () => {
      const subject = await sqliteStore(format);
      const file = join(subject.dir, 'ledger.sqlite');
      const otherDb = openSqlite(file);
      const other = new SqliteEventStore(otherDb);
      try {
        const first = newEvent();
        await subject.store.append('s', [first], 'no-stream');
        expect(await subject.store.readStream('s')).toHaveLength(1);
        const second = newEvent();
        await other.append('s', [second], 0);
        const again = await subject.store.readStream('s');
        expect(again.map((e) => e.metadata.eventId)).toEqual([first.metadata.eventId, second.metadata.eventId]);
        // What a caller does with the answer does not change what the next read answers.
        again.pop();
        expect(await subject.store.readStream('s')).toHaveLength(2);
        expect(await subject.store.readStream('s')).toEqual(await other.readStream('s'));
      } finally {
        await other.close();
        otherDb.close();
        await subject.cleanup();
      }
    });
  }
});
