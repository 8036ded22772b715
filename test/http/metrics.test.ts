import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projections } from '../../projections/index.ts';
import type { Ledger } from '../../src/composition/ledger.ts';
import { EventSequence } from '../../src/app/projecting/event-sequence.ts';
import { testLedger } from '../support/ledger.ts';
import { appendShelving, shelvingProjection } from '../support/shelving.ts';
import { parseSamples } from '../support/prometheus-text.ts';

// The shared projection list gets a toy projection for this file only (vitest isolates modules per
// file); the ledger runs in memory, so its projections run on this thread and see the toy.
const toy = shelvingProjection();

describe('/metrics and /readyz: projection figures', () => {
  let ledger: Ledger;
  let head: number;

  beforeAll(async () => {
    projections.push(toy);
    ledger = await testLedger({}, { inMemory: true });
    await appendShelving(ledger.services.eventStore, 120, { seed: 21 });
    head = await ledger.services.eventStore.headPosition();
    await ledger.services.projections.waitFor(head);
  });
  afterAll(async () => {
    await ledger?.close();
    projections.splice(projections.indexOf(toy), 1);
  });

  it('exposes the event store head and each projection position and lag in Prometheus text format', async () => {
    const res = await ledger.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const lines = res.body.trimEnd().split('\n');
    // Every line is a comment or a sample; the ledger's own gauges carry at most the projection label.
    expect(() => parseSamples(res.body)).not.toThrow();
    for (const line of lines.filter((l) => /^ledger_(event_store|projection)/.test(l))) expect(line).toMatch(/^[a-z_][a-z0-9_]*(\{projection="[a-z0-9-]+"\})? (Nan|\d+(\.\d+)?(e[+-]?\d+)?)$/);
    expect(lines).toContain(`ledger_event_store_head_position ${head}`);
    expect(lines).toContain(`ledger_projection_position{projection="shelving"} ${head}`);
    expect(lines).toContain('ledger_projection_lag_events{projection="shelving"} 0');
    expect(lines).toContain('ledger_projections_running 1');
    expect(lines).toContain('# TYPE ledger_projection_lag_p99_seconds gauge');
    const p99 = Number(lines.find((l) => l.startsWith('ledger_projection_lag_p99_seconds '))!.split(' ')[1]);
    expect(p99).toBeGreaterThanOrEqual(0);
    expect(p99).toBeLessThan(5);
  });

  it('moves the figures when events arrive that the projection has not written yet', async () => {
    const before = (await ledger.app.inject({ method: 'GET', url: '/readyz' })).json() as { checks: { projections: { position: number } } };
    await appendShelving(ledger.services.eventStore, 30, { seed: 22 });
    const newHead = await ledger.services.eventStore.headPosition();
    await ledger.services.projections.waitFor(newHead);
    const after = (await ledger.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(after).toContain(`ledger_projection_position{projection="shelving"} ${newHead}`);
    expect(before.checks.projections.position).toBe(head);
    // Positions are cursors: the count of events is the sequence, 30 more than before.
    const sequence = new EventSequence(ledger.services.readModels);
    expect((await sequence.sequenceOf(newHead))! - (await sequence.sequenceOf(head))!).toBe(30);
  });

  it('reports the projections as ready in /readyz, with their lag', async () => {
    const res = await ledger.app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(200);
    const { checks } = res.json() as { checks: Record<string, Record<string, unknown>> };
    expect(checks.projections).toMatchObject({ ok: true, running: true, lagEvents: 0, projections: expect.arrayContaining([expect.objectContaining({ name: 'shelving', lagEvents: 0, rebuilding: false })]) });
  });

  it('serves the read model the composition root keeps, through services.readModels', async () => {
    const items = await ledger.services.readModels.find<{ shelfId: string }>('shelving_items', { where: { shelfId: 's1' } });
    expect(items.length).toBeGreaterThan(0);
    expect(items.every((i) => i.shelfId === 's1')).toBe(true);
  });
});
