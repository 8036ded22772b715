import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NewEvent, RecordedEvent } from '../../events/envelope.ts';
import { newEvent } from '../support/events.ts';
import { WrongExpectedRevisionError, type AppendResult, type EventStore } from '../../src/ports/event-store.ts';
import { subscriptionContract } from './event-store-subscription.contract.ts';

export { newEvent };

export interface EventStoreUnderTest {
  store: EventStore;
  /** Closes `store` and opens the same storage again (a restart). Adapters that cannot: leave it out. */
  reopen?: () => Promise<EventStore>;
  /** Closes whatever is open and removes what the adapter created. */
  cleanup: () => Promise<void>;
}

/**
 * The EventStore contract: the sharp cases of DESIGN.md section 5, the same on every adapter.
 * Stream names are unique per test, so the suite also runs against a shared server that holds
 * other data; global-log assertions look only at this test's streams.
 */
export function eventStoreContract(name: string, makeStore: () => Promise<EventStoreUnderTest>): void {
  describe(`EventStore contract: ${name}`, () => {
    let subject: EventStoreUnderTest;
    let store: EventStore;
    let prefix: string;
    const stream = (label: string) => `${prefix}${label}`;
    const ours = (events: RecordedEvent[]) => events.filter((e) => e.streamName.startsWith(prefix));

    beforeEach(async () => {
      subject = await makeStore();
      store = subject.store;
      prefix = `contract${randomUUID().replaceAll('-', '')}-`;
    });
    afterEach(async () => {
      await subject.cleanup();
    });

    describe('revisions and positions', () => {
      it('gives the first event of a stream revision 0 and a global position above 0', async () => {
        const e = newEvent();
        const result = await store.append(stream('a'), [e], 'no-stream');
        expect(result.nextExpectedRevision).toBe(0);
        expect(result.position).toBeGreaterThan(0);
        const [read] = await store.readStream(stream('a'));
        expect(read).toMatchObject({ streamName: stream('a'), revision: 0, position: result.position, type: e.type });
        expect(read!.metadata.eventId).toBe(e.metadata.eventId);
      });

      it('numbers a multi-event append consecutively and returns the last revision and position', async () => {
        const result = await store.append(stream('a'), [newEvent(), newEvent(), newEvent()], 'no-stream');
        expect(result.nextExpectedRevision).toBe(2);
        const read = await store.readStream(stream('a'));
        expect(read.map((e) => e.revision)).toEqual([0, 1, 2]);
        expect(read[0]!.position).toBeLessThan(read[1]!.position);
        expect(read[1]!.position).toBeLessThan(read[2]!.position);
        expect(read[2]!.position).toBe(result.position);
      });

      it('reads back data and metadata as written, and nothing for a stream that does not exist', async () => {
        const e = newEvent('ProviderRegistered', { name: 'Žluťoučký kůň', nested: { n: 1, list: [true, null] } });
        await store.append(stream('a'), [e], 'no-stream');
        const [read] = await store.readStream(stream('a'));
        expect(read!.data).toEqual(e.data);
        expect(read!.metadata).toEqual(e.metadata);
        expect(await store.readStream(stream('missing'))).toEqual([]);
      });
    });

    describe('expected revision', () => {
      it('no-stream: refused on an existing stream, and nothing is written', async () => {
        await store.append(stream('a'), [newEvent()], 'no-stream');
        const error = await store.append(stream('a'), [newEvent()], 'no-stream').catch((e: unknown) => e);
        expect(error).toBeInstanceOf(WrongExpectedRevisionError);
        expect(error).toMatchObject({ streamName: stream('a'), expected: 'no-stream', actual: 0 });
        expect(await store.readStream(stream('a'))).toHaveLength(1);
      });

      it('exists: refused on a missing stream, accepted on an existing one', async () => {
        const error = await store.append(stream('a'), [newEvent()], 'exists').catch((e: unknown) => e);
        expect(error).toBeInstanceOf(WrongExpectedRevisionError);
        expect(error).toMatchObject({ expected: 'exists', actual: 'no-stream' });
        expect(await store.readStream(stream('a'))).toEqual([]);

        await store.append(stream('a'), [newEvent()], 'no-stream');
        expect((await store.append(stream('a'), [newEvent()], 'exists')).nextExpectedRevision).toBe(1);
      });

      it('exact revision: accepted only when it is the revision of the last event', async () => {
        await store.append(stream('a'), [newEvent(), newEvent()], 'no-stream');
        for (const stale of [0, 2, 7]) {
          const error = await store.append(stream('a'), [newEvent()], stale).catch((e: unknown) => e);
          expect(error, `expected revision ${stale}`).toBeInstanceOf(WrongExpectedRevisionError);
          expect(error).toMatchObject({ expected: stale, actual: 1 });
        }
        expect((await store.append(stream('a'), [newEvent()], 1)).nextExpectedRevision).toBe(2);
        expect(await store.readStream(stream('a'))).toHaveLength(3);
      });

      it('exact revision on a missing stream is a conflict', async () => {
        const error = await store.append(stream('a'), [newEvent()], 0).catch((e: unknown) => e);
        expect(error).toMatchObject({ name: 'WrongExpectedRevisionError', actual: 'no-stream' });
      });

      it('any: appends to a missing stream and to an existing one', async () => {
        expect((await store.append(stream('a'), [newEvent()], 'any')).nextExpectedRevision).toBe(0);
        expect((await store.append(stream('a'), [newEvent(), newEvent()], 'any')).nextExpectedRevision).toBe(2);
        expect(await store.readStream(stream('a'))).toHaveLength(3);
      });
    });

    describe('idempotent re-append', () => {
      it('the same event ids at the same expected revision are acknowledged again and stored once', async () => {
        const first = [newEvent(), newEvent()];
        const created = await store.append(stream('a'), first, 'no-stream');
        expect(created.repeated).toBe(false);
        // The repeat says so: the caller answers with what the first write stored, not with its own values.
        expect(await store.append(stream('a'), first, 'no-stream')).toEqual({ ...created, repeated: true });

        const next = [newEvent()];
        const appended = await store.append(stream('a'), next, 1);
        expect(await store.append(stream('a'), next, 1)).toEqual({ ...appended, repeated: true });
        // The first write stays acknowledged even after the stream has moved on.
        expect(await store.append(stream('a'), first, 'no-stream')).toEqual({ ...created, repeated: true });

        const read = await store.readStream(stream('a'));
        expect(read.map((e) => e.metadata.eventId)).toEqual([...first, ...next].map((e) => e.metadata.eventId));
      });

      it('the same event ids sent again at the current revision are a conflict, whole or in part, and stored once', async () => {
        // A writer that read the stream after the first write and sends its ids again: EventStoreDB's
        // own idempotence does not cover this (it would store them twice); every adapter refuses it.
        const [a, b] = [newEvent(), newEvent()];
        await store.append(stream('a'), [a, b], 'no-stream');
        for (const again of [[b], [a, b], [newEvent(), b]]) {
          const error = await store.append(stream('a'), again, 1).catch((e: unknown) => e);
          expect(error).toBeInstanceOf(WrongExpectedRevisionError);
          expect(error).toMatchObject({ streamName: stream('a'), expected: 1, actual: 1 });
        }
        const c = newEvent();
        await store.append(stream('a'), [c], 1);
        await expect(store.append(stream('a'), [c], 2)).rejects.toBeInstanceOf(WrongExpectedRevisionError);
        const read = await store.readStream(stream('a'));
        expect(read.map((e) => e.metadata.eventId)).toEqual([a, b, c].map((e) => e.metadata.eventId));
      });

      it('with any or exists, the stream\'s last events sent again are acknowledged as repeated and stored once', async () => {
        const [a, b] = [newEvent(), newEvent()];
        const created = await store.append(stream('a'), [a, b], 'no-stream');
        expect(await store.append(stream('a'), [a, b], 'any')).toEqual({ ...created, repeated: true });
        expect(await store.append(stream('a'), [b], 'exists')).toEqual({ ...created, repeated: true });
        // Part of it again with a fresh event is not a repeat, and writes nothing.
        await expect(store.append(stream('a'), [b, newEvent()], 'any')).rejects.toBeInstanceOf(WrongExpectedRevisionError);
        const read = await store.readStream(stream('a'));
        expect(read.map((e) => e.metadata.eventId)).toEqual([a, b].map((e) => e.metadata.eventId));
      });

      it('the same event ids carrying another event type are a conflict, not a repeat', async () => {
        const original = newEvent('Original');
        await store.append(stream('a'), [original], 'no-stream');
        const impostor = { ...newEvent('Impostor'), metadata: original.metadata };
        await expect(store.append(stream('a'), [impostor], 'no-stream')).rejects.toBeInstanceOf(WrongExpectedRevisionError);
        expect((await store.readStream(stream('a'))).map((e) => e.type)).toEqual(['Original']);
      });

      it('the same event ids at a different position are a conflict', async () => {
        const [a, b, c] = [newEvent(), newEvent(), newEvent()];
        await store.append(stream('a'), [a, b, c], 'no-stream');
        // a sits at revision 0; claiming it belongs after revision 0 (at 1) is not a repeat.
        await expect(store.append(stream('a'), [a], 0)).rejects.toBeInstanceOf(WrongExpectedRevisionError);
        // b sits at revision 1, not 0.
        await expect(store.append(stream('a'), [b], 'no-stream')).rejects.toBeInstanceOf(WrongExpectedRevisionError);
        expect(await store.readStream(stream('a'))).toHaveLength(3);
      });
    });

    describe('reading the global log', () => {
      async function appendAcrossStreams(): Promise<{ before: number; events: NewEvent[]; results: AppendResult[] }> {
        const before = await store.headPosition();
        const events = [newEvent('E1'), newEvent('E2'), newEvent('E3'), newEvent('E4')];
        const results: AppendResult[] = [];
        results.push(await store.append(stream('x'), [events[0]!], 'no-stream'));
        results.push(await store.append(stream('y'), [events[1]!, events[2]!], 'no-stream'));
        results.push(await store.append(stream('x'), [events[3]!], 0));
        return { before, events, results };
      }

      it('reads all events in append order across streams, positions strictly increasing', async () => {
        const { before, events, results } = await appendAcrossStreams();
        const all = ours(await store.readAll({ after: before }));
        expect(all.map((e) => e.metadata.eventId)).toEqual(events.map((e) => e.metadata.eventId));
        expect(all.map((e) => e.streamName)).toEqual([stream('x'), stream('y'), stream('y'), stream('x')]);
        expect(all.map((e) => e.revision)).toEqual([0, 0, 1, 1]);
        for (let i = 1; i < all.length; i++) expect(all[i]!.position).toBeGreaterThan(all[i - 1]!.position);
        expect(all.at(-1)!.position).toBe(results.at(-1)!.position);
        expect(await store.headPosition()).toBeGreaterThanOrEqual(results.at(-1)!.position);
      });

      it('`after` is exclusive: reading after an event starts with the next one', async () => {
        const { before, events } = await appendAcrossStreams();
        const all = ours(await store.readAll({ after: before }));
        const afterFirst = ours(await store.readAll({ after: all[0]!.position }));
        expect(afterFirst[0]!.metadata.eventId).toBe(events[1]!.metadata.eventId);
        expect(afterFirst).toHaveLength(3);
        expect(ours(await store.readAll({ after: all[3]!.position }))).toEqual([]);
      });

      it('`limit` caps how many events come back, from the start of the range', async () => {
        const { before, events } = await appendAcrossStreams();
        const two = await store.readAll({ after: before, limit: 2 });
        expect(two.map((e) => e.metadata.eventId)).toEqual([events[0]!, events[1]!].map((e) => e.metadata.eventId));
        const rest = await store.readAll({ after: two[1]!.position, limit: 10 });
        expect(ours(rest).map((e) => e.metadata.eventId)).toEqual([events[2]!, events[3]!].map((e) => e.metadata.eventId));
      });
    });

    subscriptionContract(() => ({ store, prefix }));

    describe('concurrency and durability', () => {
      it('1,000 concurrent appends to distinct streams are all acknowledged and all present after reopening', async () => {
        const n = 1000;
        const before = await store.headPosition();
        const written = Array.from({ length: n }, (_, i) => ({ name: stream(`many-${i}`), event: newEvent('Many', { i }) }));
        const results = await Promise.all(written.map((w) => store.append(w.name, [w.event], 'no-stream')));
        expect(results.every((r) => r.nextExpectedRevision === 0)).toBe(true);
        expect(new Set(results.map((r) => r.position)).size).toBe(n);

        if (subject.reopen) store = await subject.reopen();
        for (const w of written) {
          const read = await store.readStream(w.name);
          expect(read.map((e) => e.metadata.eventId), w.name).toEqual([w.event.metadata.eventId]);
        }
        const all = ours(await store.readAll({ after: before }));
        expect(all.filter((e) => e.type === 'Many')).toHaveLength(n);
      });

      it('concurrent appends to the same stream at the same revision: exactly one wins each round', async () => {
        const contenders = 8;
        let expected: 'no-stream' | number = 'no-stream';
        const winners: string[] = [];
        for (let round = 0; round < 4; round++) {
          const events = Array.from({ length: contenders }, () => newEvent('Contender', { round }));
          const outcomes = await Promise.allSettled(events.map((e) => store.append(stream('hot'), [e], expected)));
          const won = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [events[i]!.metadata.eventId] : []));
          const lost = outcomes.filter((o) => o.status === 'rejected');
          expect(won, `round ${round}`).toHaveLength(1);
          for (const o of lost) expect((o as PromiseRejectedResult).reason).toBeInstanceOf(WrongExpectedRevisionError);
          winners.push(won[0]!);
          expected = round;
        }
        const read = await store.readStream(stream('hot'));
        expect(read.map((e) => e.metadata.eventId)).toEqual(winners);
        expect(read.map((e) => e.revision)).toEqual([0, 1, 2, 3]);
      });
    });
  });
}
