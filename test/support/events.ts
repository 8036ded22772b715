import { randomUUID } from 'node:crypto';
import type { NewEvent } from '../../events/envelope.ts';

/** An event ready to append, with a fresh UUID as its id (EventStoreDB accepts only UUIDs). */
export function newEvent(type = 'SomethingHappened', data: Record<string, unknown> = {}): NewEvent {
  return {
    type,
    data,
    metadata: { eventId: randomUUID(), correlationId: randomUUID(), occurredAt: new Date().toISOString(), actor: 'test', schemaVersion: 1 },
  };
}
