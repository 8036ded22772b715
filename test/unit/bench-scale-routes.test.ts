import { describe, expect, it } from 'vitest';
import { scaleRoutes } from '../../bench/scenarios/scale.ts';

describe('BENCH_SCALE_ROUTES', () => {
  it('measures all four routes unless told, in their order', () => {
    expect(scaleRoutes({}).map((s) => s.id)).toEqual(['register-act', 'code-flow', 'result-read', 'public-lookup']);
    expect(scaleRoutes({ BENCH_SCALE_ROUTES: ' ' }).map((s) => s.id)).toHaveLength(4);
  });

  it('keeps the order of the workload, whatever the order given', () => {
    expect(scaleRoutes({ BENCH_SCALE_ROUTES: 'public-lookup, result-read' }).map((s) => s.id)).toEqual(['result-read', 'public-lookup']);
  });

  it('refuses an id it does not know, naming the ones it does', () => {
    expect(() => scaleRoutes({ BENCH_SCALE_ROUTES: 'public-lookup,lookup' })).toThrow(/unknown lookup; the routes are register-act, code-flow, result-read, public-lookup/);
    expect(() => scaleRoutes({ BENCH_SCALE_ROUTES: ',' })).toThrow(/unknown/);
  });
});
