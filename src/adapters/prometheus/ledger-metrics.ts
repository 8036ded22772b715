import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { AUTHORIZATION_METHODS, CODE_CHANNELS, FAILURE_REASONS, type CodeChannel } from '../../../events/act.ts';
import type { NewEvent } from '../../../events/envelope.ts';
import type { AnsweredRequest, GaugeReading, OperatorMetrics } from '../../ports/metrics.ts';
import { processMetrics } from './process-metrics.ts';

/** From a millisecond to ten seconds: most answers take a few milliseconds, a slow one shows at once. */
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

// Label values come from our own events and routes, but a label is a series each: anything that is
// not a plain word becomes `other`, so no value can make the series grow without bound.
const WORD = /^[a-z][a-z0-9-]{0,39}$/;
const EVENT_TYPE = /^[A-Z][A-Za-z0-9]{0,79}$/;
const METHOD = /^[A-Z]{1,20}$/;
const word = (value: unknown): string => (typeof value === 'string' && WORD.test(value) ? value : 'other');

/** Acts a RetentionPurgeExecuted erased. */
function purgedActs(data: Record<string, unknown>): number {
  const counts = data.counts as { acts?: unknown } | undefined;
  if (typeof counts?.acts === 'number' && counts.acts >= 0) return counts.acts;
  return Array.isArray(data.purgedActIds) ? data.purgedActIds.length : 0;
}

/**
 * One ledger's metrics in its own prom-client registry (never the global one: a process may build
 * many ledgers), exposed with the process's figures beside them. Domain figures are counted from
 * the events this process appends (see counting-event-store.ts), by type name, so an event type
 * added later is counted as soon as it is mapped here; the rest arrives through the LedgerMeter port.
 */
export class PrometheusMetrics implements OperatorMetrics {
  private readonly registry = new Registry();
  private readonly gauges = new Map<string, Gauge>();
  private readonly requestDuration: Histogram<'route' | 'method' | 'status_code'>;
  private readonly eventsAppended: Counter<'type'>;
  private readonly captchaRefusals: Counter<'reason'>;
  private readonly deliveryRetries: Counter<'channel'>;
  private readonly counting: Record<string, (data: Record<string, unknown>) => void>;

  constructor() {
    const registers = [this.registry];
    this.requestDuration = new Histogram({
      name: 'ledger_http_request_duration_seconds',
      help: 'Time from request to answer, by route pattern (unmatched: no route), method and status code.',
      labelNames: ['route', 'method', 'status_code'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.eventsAppended = new Counter({ name: 'ledger_events_appended_total', help: 'Events this process appended to the log, by type (a repeated append is not counted).', labelNames: ['type'], registers });
    const actsRegistered = new Counter({ name: 'ledger_acts_registered_total', help: 'Acts registered by providers (ActRegistered).', registers });
    const actsAuthorized = new Counter({ name: 'ledger_acts_authorized_total', help: 'Acts authorized (ActAuthorized), by method: authentication, sms, mobile-key.', labelNames: ['method'], registers });
    const actsFailed = new Counter({ name: 'ledger_acts_failed_total', help: 'Acts that failed (ActAuthorizationFailed), by reason.', labelNames: ['reason'], registers });
    const codesIssued = new Counter({ name: 'ledger_codes_issued_total', help: 'Codes issued to citizens (CodeIssued), by channel.', labelNames: ['channel'], registers });
    const codesSent = new Counter({ name: 'ledger_codes_sent_total', help: 'Codes the channel accepted for delivery (CodeDelivered), by channel.', labelNames: ['channel'], registers });
    const codesFailed = new Counter({ name: 'ledger_codes_failed_total', help: 'Codes whose delivery failed for good (CodeDeliveryFailed), by channel.', labelNames: ['channel'], registers });
    const actsPurged = new Counter({ name: 'ledger_acts_purged_total', help: 'Failed acts the retention purge erased (keys destroyed, rows deleted), from RetentionPurgeExecuted.', registers });
    this.deliveryRetries = new Counter({ name: 'ledger_code_delivery_retries_total', help: 'Code delivery attempts that failed and will be tried again, by channel.', labelNames: ['channel'], registers });
    this.captchaRefusals = new Counter({ name: 'ledger_captcha_refusals_total', help: 'Captcha solutions the public verification refused, by reason: missing, invalid, expired, reused.', labelNames: ['reason'], registers });

    // The known label values start at 0, so a rate over them exists before the first one happens.
    for (const method of AUTHORIZATION_METHODS) actsAuthorized.inc({ method }, 0);
    for (const reason of FAILURE_REASONS) actsFailed.inc({ reason }, 0);
    for (const channel of CODE_CHANNELS) for (const c of [codesIssued, codesSent, codesFailed, this.deliveryRetries]) c.inc({ channel }, 0);
    for (const reason of ['missing', 'invalid', 'expired', 'reused']) this.captchaRefusals.inc({ reason }, 0);

    this.counting = {
      ActRegistered: () => actsRegistered.inc(),
      ActAuthorized: (data) => actsAuthorized.inc({ method: word(data.method) }),
      ActAuthorizationFailed: (data) => actsFailed.inc({ reason: word(data.reason) }),
      CodeIssued: (data) => codesIssued.inc({ channel: word(data.channel) }),
      CodeDelivered: (data) => codesSent.inc({ channel: word(data.channel) }),
      CodeDeliveryFailed: (data) => codesFailed.inc({ channel: word(data.channel) }),
      RetentionPurgeExecuted: (data) => actsPurged.inc(purgedActs(data)),
    };
  }

  /** Counts events that were stored (not a repeated append). Their data is as stored: sealed fields are not readable, nor needed. */
  eventsStored(events: readonly NewEvent[]): void {
    for (const event of events) {
      this.eventsAppended.inc({ type: EVENT_TYPE.test(event.type) ? event.type : 'other' });
      this.counting[event.type]?.(event.data);
    }
  }

  deliveryRetried(channel: CodeChannel): void {
    this.deliveryRetries.inc({ channel: word(channel) });
  }

  captchaRefused(reason: string): void {
    this.captchaRefusals.inc({ reason: word(reason) });
  }

  requestAnswered(answer: AnsweredRequest): void {
    const method = METHOD.test(answer.method) ? answer.method : 'other';
    this.requestDuration.observe({ route: answer.route, method, status_code: String(answer.statusCode) }, answer.seconds);
  }

  async exposition(readings: readonly GaugeReading[]): Promise<{ contentType: string; text: string }> {
    for (const reading of readings) {
      const gauge = this.gaugeFor(reading);
      // A sample from an earlier scrape (a projection since removed) must not linger.
      gauge.reset();
      for (const sample of reading.samples) {
        const value = sample.value ?? Number.NaN;
        if (sample.labels) gauge.set(sample.labels, value);
        else gauge.set(value);
      }
    }
    const all = Registry.merge([processMetrics(), this.registry]);
    return { contentType: all.contentType, text: await all.metrics() };
  }

  /** Lets go of every metric of this ledger. */
  close(): void {
    this.gauges.clear();
    this.registry.clear();
  }

  private gaugeFor(reading: GaugeReading): Gauge {
    let gauge = this.gauges.get(reading.name);
    if (!gauge) {
      gauge = new Gauge({ name: reading.name, help: reading.help, labelNames: [...(reading.labelNames ?? [])], registers: [this.registry] });
      this.gauges.set(reading.name, gauge);
    }
    return gauge;
  }
}
