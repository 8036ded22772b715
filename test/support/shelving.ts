import { randomUUID } from 'node:crypto';
import type { NewEvent, RecordedEvent } from '../../events/envelope.ts';
import type { Change, Projection } from '../../projections/projection.ts';
import type { EventStore } from '../../src/ports/event-store.ts';

/**
 * A toy domain for testing the projection machinery: items put on shelves, relabelled, removed,
 * shelves cleared. Labels travel "sealed" (base64 here), so the runner's decode step matters, and
 * the shelf counters are read-then-written, so a double delivery would show in them.
 */

export interface ItemDoc {
  itemId: string;
  shelfId: string;
  label?: string;
}
export interface ShelfDoc {
  shelfId: string;
  shelved?: number;
  cleared?: number;
  lastLabel?: string;
}

export const sealLabel = (label: string) => Buffer.from(label).toString('base64');

/** Opens the sealed label; a shelf whose id ends in "-erased" has lost its key, so its labels stay closed. */
export async function decodeShelving(r: RecordedEvent): Promise<RecordedEvent> {
  const { sealedLabel: sealed, ...rest } = r.data as { sealedLabel?: string };
  if (sealed === undefined) return r;
  if (String(r.data.shelfId ?? '').endsWith('-erased')) return { ...r, data: rest };
  return { ...r, data: { ...rest, label: Buffer.from(sealed, 'base64').toString() } };
}

export function shelvingProjection(version = 1, labelOf: (label: string) => string = (l) => l): Projection {
  return {
    name: 'shelving',
    version,
    collections: [
      { name: 'shelving_items', indexes: ['shelfId', 'label'] },
      { name: 'shelving_shelves', indexes: [] },
    ],
    handles: ['ItemShelved', 'ItemRelabelled', 'ItemRemoved', 'ShelfCleared'],
    async project(event, read): Promise<Change[]> {
      const d = event.data as { itemId: string; shelfId: string; label?: string };
      const label = d.label === undefined ? undefined : labelOf(d.label);
      switch (event.type) {
        case 'ItemShelved': {
          const shelf = await read.get<ShelfDoc>('shelving_shelves', d.shelfId);
          return [
            { collection: 'shelving_items', op: 'put', id: d.itemId, doc: { itemId: d.itemId, shelfId: d.shelfId, label } },
            { collection: 'shelving_shelves', op: 'put', id: d.shelfId, doc: { ...shelf, shelfId: d.shelfId, shelved: (shelf?.shelved ?? 0) + 1, lastLabel: label } },
          ];
        }
        case 'ItemRelabelled':
          return [{ collection: 'shelving_items', op: 'merge', id: d.itemId, doc: { label } }];
        case 'ItemRemoved':
          return [{ collection: 'shelving_items', op: 'delete', id: d.itemId }];
        case 'ShelfCleared': {
          const shelf = await read.get<ShelfDoc>('shelving_shelves', d.shelfId);
          return [
            { collection: 'shelving_items', op: 'deleteWhere', where: { shelfId: d.shelfId } },
            { collection: 'shelving_shelves', op: 'merge', id: d.shelfId, doc: { shelfId: d.shelfId, cleared: (shelf?.cleared ?? 0) + 1 } },
          ];
        }
        default:
          return [];
      }
    },
  };
}

/** The read model computed directly from the events, independently of the runner: the oracle. */
export function expectedShelving(events: RecordedEvent[], labelOf: (label: string) => string = (l) => l) {
  const items = new Map<string, ItemDoc>();
  const shelves = new Map<string, ShelfDoc>();
  for (const e of events) {
    const d = e.data as { itemId: string; shelfId: string; label?: string };
    const label = d.label === undefined ? undefined : labelOf(d.label);
    if (e.type === 'ItemShelved') {
      items.set(d.itemId, { itemId: d.itemId, shelfId: d.shelfId, ...(label === undefined ? {} : { label }) });
      const shelf = shelves.get(d.shelfId);
      const next: ShelfDoc = { ...shelf, shelfId: d.shelfId, shelved: (shelf?.shelved ?? 0) + 1 };
      if (label === undefined) delete next.lastLabel;
      else next.lastLabel = label;
      shelves.set(d.shelfId, next);
    } else if (e.type === 'ItemRelabelled') {
      const item = items.get(d.itemId);
      if (item && label !== undefined) item.label = label;
    } else if (e.type === 'ItemRemoved') items.delete(d.itemId);
    else if (e.type === 'ShelfCleared') {
      for (const [id, item] of items) if (item.shelfId === d.shelfId) items.delete(id);
      const shelf = shelves.get(d.shelfId);
      shelves.set(d.shelfId, { ...shelf, shelfId: d.shelfId, cleared: (shelf?.cleared ?? 0) + 1 } as ShelfDoc);
    }
  }
  const byId = <T>(m: Map<string, T>) => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
  return { items: byId(items), shelves: byId(shelves) };
}

/** A small seeded generator (mulberry32), so a failing history can be replayed from its seed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const event = (type: string, data: Record<string, unknown>, occurredAt: string): NewEvent => ({
  type,
  data,
  metadata: { eventId: randomUUID(), correlationId: randomUUID(), occurredAt, actor: 'test', schemaVersion: 1 },
});

/**
 * Appends `count` mixed, valid events (with some the projection ignores), `parallel` appends at a
 * time so the store group-commits them. `state` carries the items across calls.
 */
export async function appendShelving(
  store: EventStore,
  count: number,
  options: { seed: number; parallel?: number; occurredAt?: () => string; state?: { items: Map<string, string>; next: number } },
): Promise<{ items: Map<string, string>; next: number }> {
  const random = seeded(options.seed);
  const state = options.state ?? { items: new Map<string, string>(), next: 0 };
  const shelves = ['s1', 's2', 's3', 's4', 's5-erased'];
  const at = options.occurredAt ?? (() => new Date().toISOString());
  const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)]!;
  const next = (): NewEvent => {
    const roll = random();
    const live = [...state.items.keys()];
    if (roll < 0.45 || live.length === 0) {
      const itemId = `i${String(state.next++).padStart(6, '0')}`;
      const shelfId = pick(shelves);
      state.items.set(itemId, shelfId);
      return event('ItemShelved', { itemId, shelfId, sealedLabel: sealLabel(`label ${itemId}`) }, at());
    }
    if (roll < 0.65) {
      const itemId = pick(live);
      return event('ItemRelabelled', { itemId, shelfId: state.items.get(itemId), sealedLabel: sealLabel(`relabel ${Math.floor(random() * 1e6)}`) }, at());
    }
    if (roll < 0.8) {
      const itemId = pick(live);
      state.items.delete(itemId);
      return event('ItemRemoved', { itemId, shelfId: '' }, at());
    }
    if (roll < 0.815) {
      const shelfId = pick(shelves);
      for (const [id, s] of state.items) if (s === shelfId) state.items.delete(id);
      return event('ShelfCleared', { shelfId }, at());
    }
    return event('SomethingElse', { n: Math.floor(random() * 100) }, at());
  };
  const parallel = options.parallel ?? 25;
  for (let done = 0; done < count; ) {
    const chunk = Math.min(parallel, count - done);
    // Built in order before appending: a group commit keeps the order of calls in one tick.
    const events = Array.from({ length: chunk }, next);
    await Promise.all(events.map((e, i) => store.append(`shelf-${(done + i) % 7}`, [e], 'any')));
    done += chunk;
  }
  return state;
}
