import { describe, expect, it } from 'vitest';
import { MemoryEventStore } from '../../src/adapters/memory/event-store.ts';
import { eventStoreContract, newEvent } from './event-store.contract.ts';

// No reopen: nothing of this store outlives it.
eventStoreContract('memory, sparse positions', async () => {
  const store = new MemoryEventStore({ seed: 7 });
  return { store, cleanup: () => store.close() };
});

describe('memory event store: positions', () => {
  it('spaces positions so far apart that none of them counts the events before it', async () => {
    const store = new MemoryEventStore({ seed: 3 });
    for (let i = 0; i < 50; i++) await store.append(`s-${i}`, [newEvent()], 'no-stream');
    const positions = (await store.readAll()).map((e) => e.position);
    expect(positions).toHaveLength(50);
    for (let i = 1; i < positions.length; i++) {
      expect(positions[i]!).toBeGreaterThan(positions[i - 1]!);
      expect(positions[i]! - positions[i - 1]!).not.toBe(1);
    }
    expect(positions.some((p, i) => p === i + 1)).toBe(false);
    // The gaps vary, so a fixed stride is no better a guess than a count.
    expect(new Set(positions.slice(1).map((p, i) => p - positions[i]!)).size).toBeGreaterThan(10);
    await store.close();
  });
});
