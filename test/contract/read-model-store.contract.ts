import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ReadModelSchemaError, type ProjectionLayout, type ReadModelStore } from '../../src/ports/read-model-store.ts';

export interface ReadModelStoreUnderTest {
  store: ReadModelStore;
  /** Closes `store` and opens the same storage again (a restart). Adapters that cannot: leave it out. */
  reopen?: () => Promise<ReadModelStore>;
  /** Another store on the same storage, as a second process would open it (closed by `cleanup`). */
  another?: () => Promise<ReadModelStore>;
  /** Closes whatever is open and removes what the adapter created. */
  cleanup: () => Promise<void>;
}

interface ActDoc {
  actId: string;
  documentHash?: string;
  status?: string;
  authorizedAt?: string | null;
  [field: string]: unknown;
}

/**
 * The ReadModelStore contract: position guards, atomic change + checkpoint, queries on indexed
 * fields, deletions and the rebuild swap, the same on every adapter. Projection and collection
 * names are unique per test, so the suite also runs against a shared server holding other data.
 */
export function readModelStoreContract(name: string, makeStore: () => Promise<ReadModelStoreUnderTest>): void {
  describe(`ReadModelStore contract: ${name}`, () => {
    let subject: ReadModelStoreUnderTest;
    let store: ReadModelStore;
    let ns: string;
    let projection: string;
    let acts: string;
    let tally: string;
    const layout = (version = 1): ProjectionLayout => ({
      name: projection,
      version,
      collections: [
        { name: acts, indexes: ['documentHash', 'status', 'authorizedAt', 'urgent'] },
        { name: tally, indexes: [] },
      ],
    });
    const put = (doc: ActDoc) => ({ collection: acts, op: 'put' as const, id: doc.actId, doc });
    const ids = (docs: Array<{ actId?: unknown }>) => docs.map((d) => d.actId);

    beforeEach(async () => {
      subject = await makeStore();
      store = subject.store;
      ns = `c${randomBytes(5).toString('hex')}`;
      projection = `${ns}-index`;
      acts = `${ns}_acts`;
      tally = `${ns}_tally`;
    });
    afterEach(async () => {
      await subject.cleanup();
    });

    describe('registration', () => {
      it('starts a new projection empty, at checkpoint 0 and up to date', async () => {
        expect(await store.register(layout())).toMatchObject({ position: 0, upToDate: true });
        expect(await store.checkpoints.get(projection)).toBe(0);
        expect(await store.get(acts, 'a1')).toBeUndefined();
        expect(await store.find(acts)).toEqual([]);
      });

      it('reports a changed version or layout as not up to date, and keeps serving what it has', async () => {
        await store.register(layout());
        await store.apply(projection, 1, [put({ actId: 'a1', status: 'pending' })]);
        expect((await store.register(layout())).upToDate).toBe(true);
        expect(await store.register(layout(2))).toMatchObject({ upToDate: false, position: 1 });
        const moreIndexes = { ...layout(), collections: [{ name: acts, indexes: ['status', 'providerId'] }] };
        expect((await store.register(moreIndexes)).upToDate).toBe(false);
        expect(await store.get(acts, 'a1')).toEqual({ actId: 'a1', status: 'pending' });
      });

      it('refuses a collection that another projection already owns', async () => {
        await store.register(layout());
        await expect(store.register({ name: `${ns}-other`, version: 1, collections: [{ name: acts, indexes: [] }] })).rejects.toBeInstanceOf(
          ReadModelSchemaError,
        );
      });

      it('answers undefined and no documents for a collection nobody registered', async () => {
        expect(await store.get(`${ns}_nowhere`, 'x')).toBeUndefined();
        expect(await store.find(`${ns}_nowhere`, { where: { status: 'x' } })).toEqual([]);
      });
    });

    describe('changes', () => {
      beforeEach(async () => {
        await store.register(layout());
      });

      it('put stores the whole document, replacing what was there', async () => {
        await store.apply(projection, 1, [put({ actId: 'a1', status: 'pending', documentHash: 'h1' })]);
        await store.apply(projection, 2, [put({ actId: 'a1', status: 'authorized' })]);
        expect(await store.get(acts, 'a1')).toEqual({ actId: 'a1', status: 'authorized' });
      });

      it('merge sets only the fields it names, and creates a missing document', async () => {
        await store.apply(projection, 1, [
          put({ actId: 'a1', status: 'pending', documentHash: 'h1' }),
          { collection: acts, op: 'merge', id: 'a1', doc: { status: 'authorized', authorizedAt: '2025-01-01T00:00:00Z', skipped: undefined } },
          { collection: acts, op: 'merge', id: 'a2', doc: { actId: 'a2', status: 'failed' } },
        ]);
        expect(await store.get(acts, 'a1')).toEqual({ actId: 'a1', status: 'authorized', documentHash: 'h1', authorizedAt: '2025-01-01T00:00:00Z' });
        expect(await store.get(acts, 'a2')).toEqual({ actId: 'a2', status: 'failed' });
      });

      it('applies the changes of one write in order', async () => {
        await store.apply(projection, 1, [
          put({ actId: 'a1', status: 'pending' }),
          { collection: acts, op: 'delete', id: 'a1' },
          { collection: acts, op: 'merge', id: 'a1', doc: { actId: 'a1', status: 'again' } },
          put({ actId: 'a2', status: 'pending' }),
          { collection: acts, op: 'deleteWhere', where: { status: 'pending' } },
        ]);
        expect(await store.get(acts, 'a1')).toEqual({ actId: 'a1', status: 'again' });
        expect(await store.get(acts, 'a2')).toBeUndefined();
      });

      it('delete removes one document and deleteWhere every matching one', async () => {
        await store.apply(projection, 1, [
          put({ actId: 'a1', documentHash: 'h1', status: 'failed' }),
          put({ actId: 'a2', documentHash: 'h1', status: 'authorized' }),
          put({ actId: 'a3', documentHash: 'h2', status: 'failed' }),
          put({ actId: 'a4', documentHash: 'h3', status: 'failed' }),
        ]);
        await store.apply(projection, 2, [
          { collection: acts, op: 'delete', id: 'a4' },
          { collection: acts, op: 'deleteWhere', where: { documentHash: 'h1', status: 'failed' } },
        ]);
        expect(ids(await store.find(acts))).toEqual(['a2', 'a3']);
        expect(await store.deleteWhere(acts, { status: 'failed' })).toBe(1);
        expect(ids(await store.find(acts))).toEqual(['a2']);
        await expect(store.deleteWhere(acts, { actId: 'a2' })).rejects.toBeInstanceOf(ReadModelSchemaError);
      });
    });

    describe('position guard', () => {
      beforeEach(async () => {
        await store.register(layout());
      });

      it('applies a second delivery of the same position once: it answers false and changes nothing', async () => {
        expect(await store.apply(projection, 1, [put({ actId: 'a1', status: 'pending' })])).toBe(true);
        expect(await store.apply(projection, 2, [{ collection: acts, op: 'merge', id: 'a1', doc: { status: 'authorized' } }])).toBe(true);
        expect(await store.apply(projection, 2, [{ collection: tally, op: 'put', id: 'n', doc: { count: 99 } }])).toBe(false);
        expect(await store.apply(projection, 1, [put({ actId: 'a1', status: 'pending' })])).toBe(false);
        expect(await store.get(acts, 'a1')).toEqual({ actId: 'a1', status: 'authorized' });
        expect(await store.get(tally, 'n')).toBeUndefined();
        expect(await store.checkpoints.get(projection)).toBe(2);
      });

      it('ignores a lower position arriving after a higher one', async () => {
        await store.apply(projection, 10, [put({ actId: 'a1', status: 'authorized' })]);
        expect(await store.apply(projection, 7, [{ collection: acts, op: 'delete', id: 'a1' }, put({ actId: 'a7' })])).toBe(false);
        expect(await store.get(acts, 'a1')).toEqual({ actId: 'a1', status: 'authorized' });
        expect(await store.get(acts, 'a7')).toBeUndefined();
        expect(await store.checkpoints.get(projection)).toBe(10);
      });

      it('guards each projection of a batch by its own checkpoint', async () => {
        const other = { name: `${ns}-other`, version: 1, collections: [{ name: `${ns}_other`, indexes: [] }] };
        await store.register(other);
        const otherPut = (id: string) => ({ collection: `${ns}_other`, op: 'put' as const, id, doc: { id } });
        expect(await store.applyBatch([{ projection, position: 3, changes: [put({ actId: 'a3' })] }])).toEqual([true]);
        const outcome = await store.applyBatch([
          { projection, position: 3, changes: [put({ actId: 'again' })] },
          { projection: other.name, position: 3, changes: [otherPut('o3')] },
        ]);
        expect(outcome).toEqual([false, true]);
        expect(await store.get(acts, 'again')).toBeUndefined();
        expect(await store.get(`${ns}_other`, 'o3')).toEqual({ id: 'o3' });
        expect(await store.checkpoints.get(other.name)).toBe(3);
      });

      it('refuses a write computed on another checkpoint than the stored one, changing nothing', async () => {
        await store.apply(projection, 3, [put({ actId: 'a1', status: 'pending' })]);
        expect(await store.applyBatch([{ projection, position: 5, after: 1, changes: [put({ actId: 'a1', status: 'stale' })] }])).toEqual([false]);
        expect(await store.get(acts, 'a1')).toEqual({ actId: 'a1', status: 'pending' });
        expect(await store.checkpoints.get(projection)).toBe(3);
        expect(await store.applyBatch([{ projection, position: 5, after: 3, changes: [put({ actId: 'a1', status: 'authorized' })] }])).toEqual([true]);
        expect(await store.get(acts, 'a1')).toEqual({ actId: 'a1', status: 'authorized' });
      });

      it('refuses a position that is not a whole number from 1', async () => {
        await expect(store.apply(projection, 0, [put({ actId: 'a0' })])).rejects.toBeInstanceOf(ReadModelSchemaError);
        await expect(store.apply(projection, 1.5, [put({ actId: 'a0' })])).rejects.toBeInstanceOf(ReadModelSchemaError);
        expect(await store.get(acts, 'a0')).toBeUndefined();
      });
    });

    describe('atomicity', () => {
      beforeEach(async () => {
        await store.register(layout());
        await store.apply(projection, 1, [put({ actId: 'a1', status: 'pending' })]);
      });

      it('writes neither the changes nor the checkpoint when a change fails midway', async () => {
        const circular: ActDoc = { actId: 'loop' };
        circular.self = circular;
        await expect(
          store.apply(projection, 2, [
            { collection: acts, op: 'merge', id: 'a1', doc: { status: 'authorized' } },
            put({ actId: 'a2' }),
            { collection: acts, op: 'put', id: 'loop', doc: circular },
          ]),
        ).rejects.toThrow();
        expect(await store.get(acts, 'a1')).toEqual({ actId: 'a1', status: 'pending' });
        expect(await store.get(acts, 'a2')).toBeUndefined();
        expect(await store.checkpoints.get(projection)).toBe(1);
        // The position was not used up: the same delivery, repaired, applies.
        expect(await store.apply(projection, 2, [put({ actId: 'a2' })])).toBe(true);
      });

      it('rolls back every write of a batch when one write names a collection it does not own', async () => {
        const other = { name: `${ns}-other`, version: 1, collections: [{ name: `${ns}_other`, indexes: [] }] };
        await store.register(other);
        await expect(
          store.applyBatch([
            { projection: other.name, position: 5, changes: [{ collection: `${ns}_other`, op: 'put', id: 'o', doc: {} }] },
            { projection, position: 5, changes: [put({ actId: 'a5' }), { collection: `${ns}_other`, op: 'delete', id: 'o' }] },
          ]),
        ).rejects.toBeInstanceOf(ReadModelSchemaError);
        expect(await store.get(`${ns}_other`, 'o')).toBeUndefined();
        expect(await store.get(acts, 'a5')).toBeUndefined();
        expect(await store.checkpoints.get(other.name)).toBe(0);
        expect(await store.checkpoints.get(projection)).toBe(1);
      });
    });

    describe('find', () => {
      beforeEach(async () => {
        await store.register(layout());
        await store.apply(projection, 1, [
          put({ actId: 'a3', documentHash: 'h1', status: 'authorized', authorizedAt: '2025-03-01T10:00:00Z', urgent: true }),
          put({ actId: 'a1', documentHash: 'h1', status: 'authorized', authorizedAt: '2025-01-01T10:00:00Z', urgent: false }),
          put({ actId: 'a2', documentHash: 'h1', status: 'failed' }),
          put({ actId: 'a4', documentHash: 'h2', status: 'authorized', authorizedAt: '2025-02-01T10:00:00Z', urgent: true }),
          put({ actId: 'a5', documentHash: '1', status: 'pending', authorizedAt: null }),
        ]);
      });

      it('filters on indexed fields, every filter at once', async () => {
        expect(ids(await store.find(acts, { where: { documentHash: 'h1', status: 'authorized' } }))).toEqual(['a1', 'a3']);
        expect(ids(await store.find(acts, { where: { urgent: true } }))).toEqual(['a3', 'a4']);
        expect(ids(await store.find(acts, { where: { documentHash: 'h9' } }))).toEqual([]);
      });

      it('matches null with a null or missing field, and compares values with their JSON type', async () => {
        expect(ids(await store.find(acts, { where: { authorizedAt: null } }))).toEqual(['a2', 'a5']);
        expect(ids(await store.find(acts, { where: { documentHash: 1 } }))).toEqual([]);
        expect(ids(await store.find(acts, { where: { documentHash: '1' } }))).toEqual(['a5']);
      });

      it('sorts by an indexed field, then by id, and stops at the limit', async () => {
        const newestFirst = await store.find(acts, { where: { status: 'authorized' }, sort: [{ field: 'authorizedAt', direction: 'desc' }], limit: 2 });
        expect(ids(newestFirst)).toEqual(['a3', 'a4']);
        expect(ids(await store.find(acts, { sort: [{ field: 'status' }] }))).toEqual(['a1', 'a3', 'a4', 'a2', 'a5']);
        expect(ids(await store.find(acts, { sort: [{ field: 'id', direction: 'desc' }], limit: 3 }))).toEqual(['a5', 'a4', 'a3']);
        expect(await store.find(acts, { limit: 0 })).toEqual([]);
      });

      it('refuses filters and sorting on fields the collection did not index', async () => {
        await expect(store.find(acts, { where: { actId: 'a1' } })).rejects.toBeInstanceOf(ReadModelSchemaError);
        await expect(store.find(acts, { sort: [{ field: 'description' }] })).rejects.toBeInstanceOf(ReadModelSchemaError);
      });
    });

    describe('rebuild', () => {
      beforeEach(async () => {
        await store.register(layout());
        await store.apply(projection, 4, [put({ actId: 'old', status: 'authorized' }), { collection: tally, op: 'put', id: 'n', doc: { n: 1 } }]);
      });

      it('fills a fresh generation unseen by readers, then swaps it in at once with its own checkpoint', async () => {
        const generation = await store.startRebuild(layout(2));
        expect(await store.checkpoints.get(projection, generation)).toBe(0);
        expect(await store.applyBatch([{ projection, generation, position: 3, changes: [put({ actId: 'new', status: 'authorized' })] }])).toEqual([
          true,
        ]);
        expect(ids(await store.find(acts))).toEqual(['old']);
        expect(await store.get(acts, 'new')).toBeUndefined();
        expect(await store.get(acts, 'new', { generation })).toEqual({ actId: 'new', status: 'authorized' });
        expect(await store.checkpoints.get(projection)).toBe(4);

        await store.finishRebuild(projection, generation);
        expect(ids(await store.find(acts))).toEqual(['new']);
        expect(await store.get(tally, 'n')).toBeUndefined();
        expect(await store.checkpoints.get(projection)).toBe(3);
        expect(await store.register(layout(2))).toMatchObject({ generation, position: 3, upToDate: true });
        // Live writes now land in the new generation.
        expect(await store.apply(projection, 5, [put({ actId: 'later' })])).toBe(true);
        expect(ids(await store.find(acts))).toEqual(['later', 'new']);
      });

      it('takes the new layout with it: a dropped collection is gone, a new index is queryable', async () => {
        const next: ProjectionLayout = { name: projection, version: 2, collections: [{ name: acts, indexes: ['providerId'] }] };
        const generation = await store.startRebuild(next);
        await store.applyBatch([{ projection, generation, position: 4, changes: [{ collection: acts, op: 'put', id: 'x', doc: { actId: 'x', providerId: 'p1' } }] }]);
        await expect(store.find(acts, { where: { providerId: 'p1' } })).rejects.toBeInstanceOf(ReadModelSchemaError);
        await store.finishRebuild(projection, generation);
        expect(ids(await store.find(acts, { where: { providerId: 'p1' } }))).toEqual(['x']);
        expect(await store.find(tally)).toEqual([]);
        await expect(store.apply(projection, 5, [{ collection: tally, op: 'put', id: 'n', doc: {} }])).rejects.toBeInstanceOf(ReadModelSchemaError);
      });

      it('drops an unfinished rebuild when another starts, and never reuses its number', async () => {
        const first = await store.startRebuild(layout(2));
        await store.applyBatch([{ projection, generation: first, position: 1, changes: [put({ actId: 'abandoned' })] }]);
        const second = await store.startRebuild(layout(2));
        expect(second).toBeGreaterThan(first);
        await expect(store.applyBatch([{ projection, generation: first, position: 2, changes: [] }])).rejects.toBeInstanceOf(ReadModelSchemaError);
        await store.finishRebuild(projection, second);
        expect(await store.find(acts)).toEqual([]);
      });
    });

    describe('listing and dropping generations (replay)', () => {
      const listed = async (collection: string, options?: { generation?: number }) => {
        const out: Array<{ id: string; doc: object }> = [];
        for await (const entry of store.documents(collection, options)) out.push(entry);
        return out;
      };

      it('lists every document of the live generation or of a rebuild, with its id, in id order, past a page', async () => {
        await store.register(layout());
        // More than a page of any adapter (1000), ids inserted out of order.
        const many = Array.from({ length: 1203 }, (_, i) => `a${String((i * 7919) % 1203).padStart(5, '0')}`);
        await store.apply(projection, 1, many.map((id) => put({ actId: id, status: 'authorized' })));
        await store.apply(projection, 2, [{ collection: acts, op: 'merge', id: 'a00001', doc: { extra: 1 } }, { collection: acts, op: 'delete', id: 'a00002' }]);
        const live = await listed(acts);
        expect(live).toHaveLength(1202);
        expect(live.map((e) => e.id)).toEqual([...many].filter((id) => id !== 'a00002').sort());
        expect(live[1]).toEqual({ id: 'a00001', doc: { actId: 'a00001', status: 'authorized', extra: 1 } });

        const generation = await store.startRebuild(layout());
        expect(await listed(acts, { generation })).toEqual([]);
        await store.applyBatch([{ projection, generation, position: 1, changes: [put({ actId: 'z' }), put({ actId: 'b' })] }]);
        expect((await listed(acts, { generation })).map((e) => e.id)).toEqual(['b', 'z']);
        expect(await listed(acts)).toHaveLength(1202);
        expect(await listed(tally)).toEqual([]);
        expect(await listed(`${ns}_nobody`)).toEqual([]);
      });

      it('drops a rebuild without swapping it in, and refuses to drop the live generation', async () => {
        const registered = await store.register(layout());
        await store.apply(projection, 3, [put({ actId: 'live' })]);
        const shadow = await store.startRebuild(layout());
        await store.applyBatch([{ projection, generation: shadow, position: 3, changes: [put({ actId: 'shadow' })] }]);
        await store.dropRebuild(projection, shadow);
        await expect(store.applyBatch([{ projection, generation: shadow, position: 4, changes: [] }])).rejects.toBeInstanceOf(ReadModelSchemaError);
        await expect(store.finishRebuild(projection, shadow)).rejects.toBeInstanceOf(ReadModelSchemaError);
        expect(await store.get(acts, 'shadow', { generation: shadow })).toBeUndefined();
        // Dropping what is gone already changes nothing.
        await store.dropRebuild(projection, shadow);
        await expect(store.dropRebuild(projection, registered.generation)).rejects.toBeInstanceOf(ReadModelSchemaError);
        expect(ids(await store.find(acts))).toEqual(['live']);
        expect(await store.checkpoints.get(projection)).toBe(3);
        // The next rebuild gets a number of its own.
        expect(await store.startRebuild(layout())).toBeGreaterThan(shadow);
      });
    });

    describe('two processes on one store', () => {
      let other: ReadModelStore;
      beforeEach(async (context) => {
        if (!subject.another) return context.skip();
        other = await subject.another();
        await store.register(layout());
        await other.register(layout());
      });

      it('refuses a batch begun below the checkpoint another process has written since', async () => {
        // This process read the read model at checkpoint 0 and took events 1..7; the other wrote 1..5 meanwhile.
        expect(await other.apply(projection, 5, [{ collection: tally, op: 'put', id: 'n', doc: { count: 1 } }])).toBe(true);
        const stale = { projection, position: 7, after: 0, changes: [{ collection: tally, op: 'put' as const, id: 'n', doc: { count: 2 } }] };
        expect(await store.applyBatch([stale])).toEqual([false]);
        expect(await store.get(tally, 'n'), 'the event counted once, not twice').toEqual({ count: 1 });
        expect(await store.checkpoints.get(projection)).toBe(5);
        // Computed again on the checkpoint it found, the batch applies.
        expect(await store.applyBatch([{ ...stale, after: 5 }])).toEqual([true]);
        expect(await other.checkpoints.get(projection)).toBe(7);
        // A reset by the other process refuses writes computed before it.
        await other.checkpoints.reset(projection);
        expect(await store.applyBatch([{ projection, position: 9, after: 7, changes: [put({ actId: 'late' })] }])).toEqual([false]);
        expect(await store.find(acts)).toEqual([]);
      });

      it('gives two rebuilds started at once their own numbers; the newer wins and the older can neither write nor swap in', async () => {
        const [mine, theirs] = await Promise.all([store.startRebuild(layout(2)), other.startRebuild(layout(2))]);
        expect(mine).not.toBe(theirs);
        const [older, newer] = mine < theirs ? [mine, theirs] : [theirs, mine];
        const olderStore = older === mine ? store : other;
        const newerStore = newer === mine ? store : other;
        await expect(
          olderStore.applyBatch([{ projection, generation: older, position: 1, changes: [put({ actId: 'from-older' })] }]),
        ).rejects.toBeInstanceOf(ReadModelSchemaError);
        await expect(olderStore.finishRebuild(projection, older)).rejects.toBeInstanceOf(ReadModelSchemaError);
        expect(await newerStore.applyBatch([{ projection, generation: newer, position: 2, changes: [put({ actId: 'from-newer' })] }])).toEqual([true]);
        await newerStore.finishRebuild(projection, newer);
        expect(ids(await newerStore.find(acts))).toEqual(['from-newer']);
        expect(await newerStore.register(layout(2))).toMatchObject({ generation: newer, position: 2, upToDate: true });
      });

      it('never hands out a generation number twice, across processes and restarts', async () => {
        const seen = [(await store.register(layout())).generation];
        const abandoned = await store.startRebuild(layout(2));
        await store.applyBatch([{ projection, generation: abandoned, position: 1, changes: [put({ actId: 'leftover' })] }]);
        seen.push(abandoned);
        seen.push(await other.startRebuild(layout(2)));
        await other.finishRebuild(projection, seen.at(-1)!);
        if (subject.reopen) store = await subject.reopen();
        const next = await store.startRebuild(layout(3));
        seen.push(next);
        expect([...seen].sort((a, b) => a - b), 'each number greater than every earlier one').toEqual(seen);
        expect(new Set(seen).size).toBe(seen.length);
        await store.finishRebuild(projection, next);
        expect(await store.find(acts), 'no row of an abandoned generation comes back').toEqual([]);
        expect(await store.get(acts, 'leftover', { generation: next })).toBeUndefined();
      });

      it('keeps answering a reader of another process through a swap: the old documents or the new, never "not found"', async () => {
        await store.apply(projection, 1, [put({ actId: 'a1', status: 'old' })]);
        expect(await other.get(acts, 'a1')).toEqual({ actId: 'a1', status: 'old' });
        expect(ids(await other.find(acts))).toEqual(['a1']);
        const generation = await store.startRebuild(layout(2));
        await store.applyBatch([{ projection, generation, position: 1, changes: [put({ actId: 'a1', status: 'new' })] }]);
        await store.finishRebuild(projection, generation);
        const seen = await other.get<ActDoc>(acts, 'a1');
        expect(['old', 'new']).toContain(seen?.status);
        expect(ids(await other.find(acts))).toEqual(['a1']);
        expect(await store.get(acts, 'a1'), 'the swapping process sees its swap at once').toEqual({ actId: 'a1', status: 'new' });
      });
    });

    it('reset empties the live collections and sets the checkpoint to 0', async () => {
      await store.register(layout());
      await store.apply(projection, 9, [put({ actId: 'a1' }), { collection: tally, op: 'put', id: 'n', doc: { n: 1 } }]);
      await store.checkpoints.reset(projection);
      expect(await store.checkpoints.get(projection)).toBe(0);
      expect(await store.find(acts)).toEqual([]);
      expect(await store.get(tally, 'n')).toBeUndefined();
      expect(await store.apply(projection, 1, [put({ actId: 'a1' })])).toBe(true);
    });

    it('keeps documents and checkpoints across a restart', async () => {
      if (!subject.reopen) return;
      await store.register(layout());
      await store.apply(projection, 6, [put({ actId: 'a1', status: 'authorized' })]);
      store = await subject.reopen();
      expect(await store.register(layout())).toMatchObject({ position: 6, upToDate: true });
      expect(await store.get(acts, 'a1')).toEqual({ actId: 'a1', status: 'authorized' });
      expect(await store.apply(projection, 6, [put({ actId: 'a1' })])).toBe(false);
    });
  });
}
