import type { NewEvent, RecordedEvent } from '../../../events/envelope.ts';
import type { AppendResult, EventStore, ExpectedRevision } from '../../ports/event-store.ts';

/** Told of the events an append stored. */
export interface StoredEventCounter {
  eventsStored(events: readonly NewEvent[]): void;
}

/**
 * An event store that tells a counter of every event it stored, so the operator's figures (acts
 * registered, failed by reason, codes sent...) come from the one place every command's writes go
 * through, with no command code knowing. Only an append that stored its events counts: a refused
 * one throws, and a repeated one (the same event ids again) stored nothing.
 */
export class CountingEventStore implements EventStore {
  constructor(
    private readonly inner: EventStore,
    private readonly counter: StoredEventCounter,
  ) {}

  async append(streamName: string, events: NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    const result = await this.inner.append(streamName, events, expected);
    if (!result.repeated) this.counter.eventsStored(events);
    return result;
  }

  readStream(streamName: string): Promise<RecordedEvent[]> {
    return this.inner.readStream(streamName);
  }

  // Everything but append passes through as it is, typed by the port's own signatures.
  readAll(...args: Parameters<EventStore['readAll']>): ReturnType<EventStore['readAll']> {
    return this.inner.readAll(...args);
  }

  headPosition(): ReturnType<EventStore['headPosition']> {
    return this.inner.headPosition();
  }

  subscribeToAll(...args: Parameters<EventStore['subscribeToAll']>): ReturnType<EventStore['subscribeToAll']> {
    return this.inner.subscribeToAll(...args);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
