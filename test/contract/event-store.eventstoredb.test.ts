import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { EventStoreDbEventStore } from '../../src/adapters/eventstoredb/event-store.ts';
import { eventStoreContract, newEvent } from './event-store.contract.ts';

// Test files may read the environment: the adapter runs only where a server was started for it.
const url = process.env.EVENTSTORE_URL;

if (!url) console.log('SKIPPED: EventStoreDB contract suite (set EVENTSTORE_URL, e.g. esdb://127.0.0.1:2113?tls=false, to run it)');

describe.skipIf(!url)('EventStoreDB adapter', () => {
  eventStoreContract('EventStoreDB', async () => {
    const store = new EventStoreDbEventStore(url!);
    // Streams are unique per test, so nothing needs deleting from the shared server.
    return { store, cleanup: () => store.close() };
  });
});

describe.skipIf(!url)('EventStoreDB adapter: reads left early', () => {
  // The server takes about a hundred concurrent streams per connection: reads that ended early but
  // stayed open would use them up, and every later read would hang. 300 of them must leave none open.
  it('cancels each read that stops before the server ended it, so later reads still answer', async () => {
    const store = new EventStoreDbEventStore(url!, { readDeadlineMs: 10_000 });
    try {
      const stream = `early-${randomUUID()}`;
      await store.append(stream, [newEvent(), newEvent()], 'no-stream');
      for (let i = 0; i < 300; i++) {
        expect(await store.readAll({ limit: 1 })).toHaveLength(1);
        expect(await store.headPosition()).toBeGreaterThan(0);
      }
      expect(await store.readStream(stream)).toHaveLength(2);
    } finally {
      await store.close();
    }
  }, 120_000);
});

describe('choosing EventStoreDB', () => {
  it('is refused at start without EVENTSTORE_URL, naming the variable', () => {
    expect(() => loadConfig({ LEDGER_EVENT_STORE: 'eventstoredb' })).toThrow(/EVENTSTORE_URL/);
    expect(loadConfig({ LEDGER_EVENT_STORE: 'eventstoredb', EVENTSTORE_URL: 'esdb://127.0.0.1:2113?tls=false' }).eventStore).toEqual({ kind: 'eventstoredb', url: 'esdb://127.0.0.1:2113?tls=false' });
  });
});
