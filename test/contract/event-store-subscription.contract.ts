import { beforeEach, describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../events/envelope.ts';
import type { EventStore } from '../../src/ports/event-store.ts';
import { newEvent } from '../support/events.ts';

/**
 * The subscription part of the EventStore contract: history then live, exclusive resume, one
 * event at a time, errors reported. `current` gives the test's store and its stream-name prefix.
 */
export function subscriptionContract(current: () => { store: EventStore; prefix: string }): void {
  describe('subscription', () => {
    let store: EventStore;
    let prefix: string;
    const stream = (label: string) => `${prefix}${label}`;
    const ours = (events: RecordedEvent[]) => events.filter((e) => e.streamName.startsWith(prefix));
    beforeEach(() => {
      ({ store, prefix } = current());
    });

    /** Collects what a subscription delivers and resolves once `count` of our events arrived. */
    function collector() {
      const seen: RecordedEvent[] = [];
      let waiter: { count: number; resolve: () => void } | undefined;
      return {
        seen,
        handler: (e: RecordedEvent) => {
          if (!e.streamName.startsWith(prefix)) return;
          seen.push(e);
          if (waiter && seen.length >= waiter.count) waiter.resolve();
        },
        until: (count: number, ms = 5000) =>
          new Promise<void>((resolve, reject) => {
            if (seen.length >= count) return resolve();
            const timer = setTimeout(() => reject(new Error(`subscription delivered ${seen.length} of ${count} events`)), ms);
            waiter = { count, resolve: () => (clearTimeout(timer), resolve()) };
          }),
      };
    }

    it('delivers history, then live events, resuming strictly after (not at) its checkpoint', async () => {
      const history = [newEvent('H1'), newEvent('H2'), newEvent('H3')];
      const before = await store.headPosition();
      await store.append(stream('s'), history, 'no-stream');
      const [h1] = ours(await store.readAll({ after: before, limit: 1 }));
      const c = collector();
      const subscription = store.subscribeToAll({ after: h1!.position }, c.handler);
      try {
        await c.until(2);
        expect(c.seen.map((e) => e.type)).toEqual(['H2', 'H3']);

        await store.append(stream('s'), [newEvent('L1')], 2);
        await store.append(stream('t'), [newEvent('L2')], 'no-stream');
        await c.until(4);
        expect(c.seen.map((e) => e.type)).toEqual(['H2', 'H3', 'L1', 'L2']);
        expect(c.seen.map((e) => e.revision)).toEqual([1, 2, 3, 0]);
      } finally {
        await subscription.close();
      }
    });

    it('resuming from the last delivered position gives each event exactly once', async () => {
      const before = await store.headPosition();
      await store.append(stream('s'), [newEvent('A'), newEvent('B')], 'no-stream');
      const first = collector();
      const sub1 = store.subscribeToAll({ after: before }, first.handler);
      await first.until(2);
      await sub1.close();
      const checkpoint = first.seen.at(-1)!.position;

      await store.append(stream('s'), [newEvent('C')], 1);
      const second = collector();
      const sub2 = store.subscribeToAll({ after: checkpoint }, second.handler);
      try {
        await second.until(1);
        await new Promise((r) => setTimeout(r, 100));
        expect(second.seen.map((e) => e.type)).toEqual(['C']);
      } finally {
        await sub2.close();
      }
    });

    it('runs the handler one event at a time, in order, and stops delivering once closed', async () => {
      const before = await store.headPosition();
      let running = 0;
      let overlapped = false;
      const seen: string[] = [];
      const subscription = store.subscribeToAll({ after: before }, async (e) => {
        if (!e.streamName.startsWith(prefix)) return;
        running++;
        if (running > 1) overlapped = true;
        await new Promise((r) => setTimeout(r, 5));
        seen.push(e.type);
        running--;
      });
      await store.append(stream('s'), [newEvent('1'), newEvent('2'), newEvent('3')], 'no-stream');
      await store.append(stream('s'), [newEvent('4')], 2);
      const deadline = Date.now() + 5000;
      while (seen.length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      await subscription.close();
      expect(seen).toEqual(['1', '2', '3', '4']);
      expect(overlapped).toBe(false);

      await store.append(stream('s'), [newEvent('5')], 3);
      await new Promise((r) => setTimeout(r, 300));
      expect(seen).toHaveLength(4);
    });

    it('reports a failing handler through onError and stops', async () => {
      const before = await store.headPosition();
      const errors: unknown[] = [];
      let calls = 0;
      const subscription = store.subscribeToAll(
        { after: before, onError: (e) => errors.push(e) },
        (e) => {
          if (!e.streamName.startsWith(prefix)) return;
          calls++;
          throw new Error('projection broke');
        },
      );
      await store.append(stream('s'), [newEvent(), newEvent()], 'no-stream');
      const deadline = Date.now() + 5000;
      while (errors.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      await subscription.close();
      expect(errors).toHaveLength(1);
      expect(String(errors[0])).toContain('projection broke');
      expect(calls).toBe(1);
    });
  });
}
