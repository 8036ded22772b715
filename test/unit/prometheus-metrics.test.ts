import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { NewEvent } from '../../events/envelope.ts';
import { openSqlite } from '../../src/adapters/sqlite/database.ts';
import { SqliteEventStore } from '../../src/adapters/sqlite/event-store.ts';
import { CountingEventStore } from '../../src/adapters/prometheus/counting-event-store.ts';
import { PrometheusMetrics } from '../../src/adapters/prometheus/ledger-metrics.ts';
import { WrongExpectedRevisionError } from '../../src/ports/event-store.ts';
import { newEvent } from '../support/events.ts';
import { parseSamples, sampleValue } from '../support/prometheus-text.ts';

function countingStore() {
  const metrics = new PrometheusMetrics();
  const inner = new SqliteEventStore(openSqlite(':memory:'));
  const store = new CountingEventStore(inner, metrics);
  const samples = async () => parseSamples((await metrics.exposition([])).text);
  return { metrics, store, samples };
}

const act = () => `act-${randomUUID()}`;

describe('event counts from the counting event store', () => {
  it('counts what was stored, by type and by the public reason, channel or method', async () => {
    const { store, samples } = countingStore();
    const a = act();
    await store.append(a, [newEvent('ActRegistered', { actId: 'a', sealed: { ct: 'opaque' } }), newEvent('CodeIssued', { codeId: 'c1', channel: 'sms' })], 'no-stream');
    await store.append(a, [newEvent('ActAuthorizationFailed', { reason: 'attempts-exhausted' })], 1);
    const b = act();
    await store.append(b, [newEvent('ActRegistered', {}), newEvent('CodeIssued', { codeId: 'c2', channel: 'mobile-key' }), newEvent('ActAuthorized', { method: 'mobile-key' })], 'no-stream');
    const s = await samples();
    expect(sampleValue(s, 'ledger_acts_registered_total')).toBe(2);
    expect(sampleValue(s, 'ledger_codes_issued_total', { channel: 'sms' })).toBe(1);
    expect(sampleValue(s, 'ledger_codes_issued_total', { channel: 'mobile-key' })).toBe(1);
    expect(sampleValue(s, 'ledger_acts_failed_total', { reason: 'attempts-exhausted' })).toBe(1);
    // Every known reason is there from the start, at 0.
    expect(sampleValue(s, 'ledger_acts_failed_total', { reason: 'expired' })).toBe(0);
    expect(sampleValue(s, 'ledger_acts_authorized_total', { method: 'mobile-key' })).toBe(1);
    expect(sampleValue(s, 'ledger_acts_authorized_total', { method: 'sms' })).toBe(0);
    expect(sampleValue(s, 'ledger_events_appended_total', { type: 'CodeIssued' })).toBe(2);
  });

  it('counts nothing for a repeated append (the same event ids again) or a refused one', async () => {
    const { store, samples } = countingStore();
    const stream = act();
    const events: NewEvent[] = [newEvent('ActRegistered', {})];
    expect((await store.append(stream, events, 'no-stream')).repeated).toBe(false);
    expect((await store.append(stream, events, 'no-stream')).repeated).toBe(true);
    await expect(store.append(stream, [newEvent('ActRegistered', {})], 'no-stream')).rejects.toBeInstanceOf(WrongExpectedRevisionError);
    const s = await samples();
    expect(sampleValue(s, 'ledger_acts_registered_total')).toBe(1);
    expect(sampleValue(s, 'ledger_events_appended_total', { type: 'ActRegistered' })).toBe(1);
    expect(await store.readStream(stream)).toHaveLength(1);
  });

  it('counts code deliveries and final failures by channel, and the acts a purge erased', async () => {
    const { store, samples } = countingStore();
    const a = act();
    await store.append(a, [newEvent('CodeDelivered', { codeId: 'c1', channel: 'sms', attempts: 1 }), newEvent('CodeDeliveryFailed', { codeId: 'c2', channel: 'mobile-key', reason: 'device unregistered' })], 'any');
    const purge = (ids: string[]) => newEvent('RetentionPurgeExecuted', { runId: randomUUID(), purgedActIds: ids, counts: { acts: ids.length, byReason: { expired: ids.length } } });
    await store.append('retention', [purge(['x', 'y', 'z'])], 'any');
    await store.append('retention', [purge(['w'])], 'any');
    const s = await samples();
    expect(sampleValue(s, 'ledger_codes_sent_total', { channel: 'sms' })).toBe(1);
    expect(sampleValue(s, 'ledger_codes_sent_total', { channel: 'mobile-key' })).toBe(0);
    expect(sampleValue(s, 'ledger_codes_failed_total', { channel: 'mobile-key' })).toBe(1);
    expect(sampleValue(s, 'ledger_acts_purged_total')).toBe(4);
  });

  it('turns a label value that is not a plain word into other, so series stay bounded', async () => {
    const { store, samples } = countingStore();
    await store.append(act(), [newEvent('ActAuthorizationFailed', { reason: 'Something <odd> "quoted"\nhere' }), newEvent('ActAuthorizationFailed', {})], 'no-stream');
    expect(sampleValue(await samples(), 'ledger_acts_failed_total', { reason: 'other' })).toBe(2);
  });
});

describe('PrometheusMetrics', () => {
  it('counts delivery retries and captcha refusals told through the LedgerMeter port', async () => {
    const metrics = new PrometheusMetrics();
    metrics.deliveryRetried('sms');
    metrics.deliveryRetried('sms');
    metrics.captchaRefused('reused');
    const s = parseSamples((await metrics.exposition([])).text);
    expect(sampleValue(s, 'ledger_code_delivery_retries_total', { channel: 'sms' })).toBe(2);
    expect(sampleValue(s, 'ledger_code_delivery_retries_total', { channel: 'mobile-key' })).toBe(0);
    expect(sampleValue(s, 'ledger_captcha_refusals_total', { reason: 'reused' })).toBe(1);
  });

  it('keeps each ledger its own: two in one process count apart, and both show the process figures', async () => {
    const one = new PrometheusMetrics();
    const two = new PrometheusMetrics();
    one.captchaRefused('invalid');
    const [a, b] = await Promise.all([one.exposition([]), two.exposition([])]);
    expect(sampleValue(parseSamples(a.text), 'ledger_captcha_refusals_total', { reason: 'invalid' })).toBe(1);
    expect(sampleValue(parseSamples(b.text), 'ledger_captcha_refusals_total', { reason: 'invalid' })).toBe(0);
    for (const { text } of [a, b]) {
      expect(text).toContain('# TYPE process_cpu_user_seconds_total counter');
      expect(text).toContain('# TYPE nodejs_eventloop_lag_seconds gauge');
      expect(text).toContain('# TYPE nodejs_heap_size_used_bytes gauge');
    }
  });

  it('writes gauges read at the scrape, a missing figure as NaN, and drops samples that went away', async () => {
    const metrics = new PrometheusMetrics();
    const read = (projections: string[], p99: number | null) => [
      { name: 'toy_position', help: 'A position.', labelNames: ['projection'], samples: projections.map((p, i) => ({ labels: { projection: p }, value: i + 10 })) },
      { name: 'toy_p99_seconds', help: 'A percentile.', samples: [{ value: p99 }] },
    ];
    let s = parseSamples((await metrics.exposition(read(['a', 'b'], null))).text);
    expect(sampleValue(s, 'toy_position', { projection: 'b' })).toBe(11);
    expect(sampleValue(s, 'toy_p99_seconds')).toBeNaN();
    s = parseSamples((await metrics.exposition(read(['a'], 0.25))).text);
    expect(sampleValue(s, 'toy_position', { projection: 'b' })).toBeUndefined();
    expect(sampleValue(s, 'toy_p99_seconds')).toBe(0.25);
  });

  it('records request durations by route pattern, method and status code', async () => {
    const metrics = new PrometheusMetrics();
    metrics.requestAnswered({ route: '/api/v1/acts/:actId', method: 'GET', statusCode: 200, seconds: 0.003 });
    metrics.requestAnswered({ route: '/api/v1/acts/:actId', method: 'GET', statusCode: 200, seconds: 0.2 });
    const s = parseSamples((await metrics.exposition([])).text);
    const labels = { route: '/api/v1/acts/:actId', method: 'GET', status_code: '200' };
    expect(sampleValue(s, 'ledger_http_request_duration_seconds_count', labels)).toBe(2);
    expect(sampleValue(s, 'ledger_http_request_duration_seconds_bucket', { ...labels, le: '0.005' })).toBe(1);
    expect(sampleValue(s, 'ledger_http_request_duration_seconds_bucket', { ...labels, le: '+Inf' })).toBe(2);
  });

  it('lets go of its metrics on close', async () => {
    const metrics = new PrometheusMetrics();
    metrics.captchaRefused('missing');
    metrics.close();
    expect((await metrics.exposition([])).text).not.toContain('ledger_captcha_refusals_total');
  });
});
