import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { EventStoreDbEventStore } from '../../src/adapters/eventstoredb/event-store.ts';
import { eventStoreContract } from './event-store.contract.ts';

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

describe('choosing EventStoreDB', () => {
  it('is refused at start without EVENTSTORE_URL, naming the variable', () => {
    expect(() => loadConfig({ LEDGER_EVENT_STORE: 'eventstoredb' })).toThrow(/EVENTSTORE_URL/);
    expect(loadConfig({ LEDGER_EVENT_STORE: 'eventstoredb', EVENTSTORE_URL: 'esdb://127.0.0.1:2113?tls=false' }).eventStore).toEqual({ kind: 'eventstoredb', url: 'esdb://127.0.0.1:2113?tls=false' });
  });
});
