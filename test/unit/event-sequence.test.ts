import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../events/envelope.ts';
import type { Projection } from '../../projections/projection.ts';
import { EVENT_SEQUENCE, eventSequenceProjection, type SequencedEvent } from '../../projections/event-sequence.ts';
import { openSqlite, type SqliteDatabase } from '../../src/adapters/sqlite/database.ts';
import { MemoryEventStore } from '../../src/adapters/memory/event-store.ts';
import { SqliteReadModelStore } from '../../src/adapters/sqlite/read-model-store.ts';
import { EventSequence, LAG_COUNT_LIMIT } from '../../src/app/projecting/event-sequence.ts';
import { ProjectionRunner, type ProjectionRunnerOptions } from '../../src/app/projecting/projection-runner.ts';
import type { EventStore } from '../../src/ports/event-store.ts';
import { appendShelving, decodeShelving, shelvingProjection } from '../support/shelving.ts';

// Always on sparse positions: what this file checks is that the sequence counts where positions cannot.
let db: SqliteDatabase;
let events: MemoryEventStore;
let readModels: SqliteReadModelStore;
const runners: ProjectionRunner[] = [];

beforeEach(() => {
  db = openSqlite(':memory:');
  events = new MemoryEventStore({ seed: 5 });
  readModels = new SqliteReadModelStore(db);
});
afterEach(async () => {
  for (const r of runners.splice(0)) await r.close();
  await events.close();
  db.close();
});

function runner(options: Partial<ProjectionRunnerOptions> = {}): ProjectionRunner {
  const r = new ProjectionRunner({
    eventStore: events,
    readModels,
    projections: [eventSequenceProjection, shelvingProjection()],
    decode: decodeShelving,
    retryDelayMs: 10,
    ...options,
  });
  runners.push(r);
  return r;
}

/** Decoding is for projections of domain events; the sequence must get every event as stored. */
const refusingDecode = async (r: RecordedEvent): Promise<RecordedEvent> => {
  if (!r.type.startsWith('Item') && !r.type.startsWith('Shelf')) throw new Error(`decoded ${r.type}`);
  return decodeShelving(r);
};

describe('event sequence', () => {
  it('numbers every event 1..N in log order, whatever its type, and maps positions and sequences both ways', async () => {
    await appendShelving(events, 400, { seed: 1 });
    await events.append('unrelated', [{ type: 'SomethingElse', data: {}, metadata: { eventId: crypto.randomUUID(), correlationId: 'c', occurredAt: new Date().toISOString(), actor: 'test', schemaVersion: 1 } }], 'no-stream');
    const r = runner({ decode: refusingDecode });
    await r.start();
    await r.waitFor(await events.headPosition());

    const log = await events.readAll();
    const sequence = new EventSequence(readModels);
    expect(await sequence.headSequence()).toBe(log.length);
    expect(await sequence.head()).toEqual({ position: log.at(-1)!.position, sequence: log.length });
    const stored = await readModels.find<SequencedEvent>(EVENT_SEQUENCE, { sort: [{ field: 'sequence' }] });
    expect(stored.map((s) => s.position)).toEqual(log.map((e) => e.position));
    expect(stored.map((s) => s.sequence)).toEqual(log.map((_, i) => i + 1));
    expect(stored.map((s) => s.eventId)).toEqual(log.map((e) => e.metadata.eventId));
    for (const i of [0, 1, 199, log.length - 1]) {
      expect(await sequence.sequenceOf(log[i]!.position)).toBe(i + 1);
      expect(await sequence.positionOf(i + 1)).toBe(log[i]!.position);
    }
    expect(await sequence.sequenceOf(0)).toBe(0);
    // A position between two events names none.
    expect(await sequence.sequenceOf(log[10]!.position + 1)).toBeUndefined();
    expect(await sequence.positionOf(log.length + 1)).toBeUndefined();
  });

  it('goes on numbering after a restart, and a rebuild gives every event the same number again', async () => {
    await appendShelving(events, 300, { seed: 2 });
    const first = runner();
    await first.start();
    await first.waitFor(await events.headPosition());
    await first.close();
    await appendShelving(events, 200, { seed: 3 });
    const second = runner();
    await second.start();
    await second.waitFor(await events.headPosition());
    const before = await readModels.find<SequencedEvent>(EVENT_SEQUENCE, { sort: [{ field: 'sequence' }] });
    expect(before.map((s) => s.sequence)).toEqual(before.map((_, i) => i + 1));
    expect(before).toHaveLength(500);

    const report = await second.rebuild(eventSequenceProjection.name);
    expect(report.events).toBe(500);
    expect(await readModels.find<SequencedEvent>(EVENT_SEQUENCE, { sort: [{ field: 'sequence' }] })).toEqual(before);
  });

  it('lag counts the events not yet written, from sequences, and from the log where the sequence has not been', async () => {
    await appendShelving(events, 250, { seed: 4 });
    const first = runner();
    await first.start();
    await first.waitFor(await events.headPosition());
    await first.close();
    await appendShelving(events, 37, { seed: 6 });

    // Projections held up at their next event: nothing more is written until the gate opens.
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const held = (p: Projection): Projection => ({ ...p, project: async (event, read) => (await gate, p.project(event, read)) });
    const base = shelvingProjection();
    const late: Projection = {
      name: 'late-shelving',
      version: 1,
      collections: [{ name: 'late_shelved', indexes: [] }],
      handles: ['ItemShelved'],
      project: (event) => [{ collection: 'late_shelved', op: 'put', id: String((event.data as { itemId: string }).itemId), doc: {} }],
    };

    // Both behind by the 37 events the sequence has not reached either: counted by reading the log.
    const behind = runner({ projections: [eventSequenceProjection, held(base)] });
    await behind.start();
    const heldLag = await behind.lag();
    open();
    expect(heldLag.projections.map((p) => [p.name, p.lagEvents])).toEqual([
      ['event-sequence', 37],
      ['shelving', 37],
    ]);
    await behind.waitFor(await events.headPosition());
    await behind.close();

    // A new projection starts from zero while the sequence is at the head: every event, counted by sequences.
    let openLate!: () => void;
    const lateGate = new Promise<void>((resolve) => (openLate = resolve));
    const heldLate: Projection = { ...late, project: async (event, read) => (await lateGate, late.project(event, read)) };
    const newcomer = runner({ projections: [eventSequenceProjection, shelvingProjection(), heldLate] });
    await newcomer.start();
    const lag = await newcomer.lag();
    openLate();
    expect(lag.projections.map((p) => [p.name, p.lagEvents])).toEqual([
      ['event-sequence', 0],
      ['shelving', 0],
      ['late-shelving', 287],
    ]);
    expect(lag.lagEvents).toBe(287);
    await newcomer.waitFor(await events.headPosition());
    expect((await newcomer.lag()).projections.every((p) => p.lagEvents === 0)).toBe(true);
  });

  it('a projection far behind reports lag up to the counting limit, never a difference of positions', async () => {
    const store: EventStore = events;
    await appendShelving(store, 1200, { seed: 7 });
    const r = runner({ projections: [shelvingProjection()] });
    const lag = await r.lag();
    expect(lag.lagEvents).toBe(Math.min(1200, LAG_COUNT_LIMIT));
    expect(lag.headPosition).toBeGreaterThan(1200 * 100);
  });
});
