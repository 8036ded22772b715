import { describe, expect, it } from 'vitest';
import { PendingChanges } from '../../src/app/projecting/pending-changes.ts';
import type { ReadModelDocument } from '../../projections/projection.ts';

/** The view a handler reads through: stored documents with the batch's changes to them applied in order. */
describe('pending changes', () => {
  const subject = (stored: Record<string, ReadModelDocument>) => {
    const reads: string[] = [];
    const pending = new PendingChanges('p', new Set(['docs']), async (_collection, id) => {
      reads.push(id);
      return stored[id];
    });
    return { pending, reads, get: (id: string) => pending.view.get('docs', id) };
  };

  it('merges onto the stored document, and reads it no more once a put or delete decided it', async () => {
    const { pending, reads, get } = subject({ a: { n: 1, kept: true } });
    pending.add([{ collection: 'docs', op: 'merge', id: 'a', doc: { m: 2 } }], 1);
    expect(await get('a')).toEqual({ n: 1, kept: true, m: 2 });
    pending.add([{ collection: 'docs', op: 'put', id: 'a', doc: { n: 3 } }, { collection: 'docs', op: 'merge', id: 'a', doc: { m: 4 } }], 2);
    expect(await get('a')).toEqual({ n: 3, m: 4 });
    pending.add([{ collection: 'docs', op: 'delete', id: 'a' }], 3);
    expect(await get('a')).toBeUndefined();
    pending.add([{ collection: 'docs', op: 'merge', id: 'a', doc: { again: true } }], 4);
    expect(await get('a')).toEqual({ again: true });
    expect(reads).toEqual(['a']);
  });

  it('applies a deleteWhere in its place among the document\'s own changes', async () => {
    const { pending, get } = subject({ b: { kind: 'x' }, c: { kind: 'y' } });
    pending.add([{ collection: 'docs', op: 'put', id: 'd', doc: { kind: 'x' } }], 1);
    pending.add([{ collection: 'docs', op: 'deleteWhere', where: { kind: 'x' } }], 2);
    expect(await get('b')).toBeUndefined();
    expect(await get('c')).toEqual({ kind: 'y' });
    expect(await get('d')).toBeUndefined();
    pending.add([{ collection: 'docs', op: 'put', id: 'd', doc: { kind: 'x', back: true } }], 3);
    expect(await get('d')).toEqual({ kind: 'x', back: true });
    pending.add([{ collection: 'docs', op: 'merge', id: 'c', doc: { kind: 'x' } }, { collection: 'docs', op: 'deleteWhere', where: { kind: 'x' } }], 4);
    expect(await get('c')).toBeUndefined();
    expect(await get('d')).toBeUndefined();
  });

  it('answers a document written by every event of a long batch without going over the whole batch each time', async () => {
    const { pending, get } = subject({});
    const started = performance.now();
    for (let i = 1; i <= 20_000; i++) {
      const head = await get('head');
      pending.add([{ collection: 'docs', op: 'put', id: 'head', doc: { n: ((head?.n as number | undefined) ?? 0) + 1 } }], i);
    }
    expect(await get('head')).toEqual({ n: 20_000 });
    // Quadratic, this is 200 million documents copied: minutes, not well under a few seconds.
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
