import type { CodeChannel } from '../../events/act.ts';

/**
 * What the application reports to operators besides its events (events are counted where they are
 * appended). The HTTP edge exposes it on /metrics; `silentMeter` where nobody listens.
 */
export interface LedgerMeter {
  /** A delivery attempt failed and will be tried again. */
  deliveryRetried(channel: CodeChannel): void;
  /** The public verification refused a captcha solution (`reason`: a stable word such as `invalid`, `expired`, `reused`). */
  captchaRefused(reason: string): void;
}

export const silentMeter: LedgerMeter = {
  deliveryRetried: () => undefined,
  captchaRefused: () => undefined,
};

/** A gauge read at the moment of a scrape (figures the edge asks other services for). */
export interface GaugeReading {
  name: string;
  help: string;
  /** The label names every sample carries (none when left out). */
  labelNames?: readonly string[];
  /** `null`: no figure yet (written as NaN). */
  samples: ReadonlyArray<{ labels?: Record<string, string>; value: number | null }>;
}

/** One HTTP answer as the request-duration histogram records it. */
export interface AnsweredRequest {
  /** The route's pattern (`/api/v1/acts/:actId`), never the raw URL; `unmatched` when no route matched. */
  route: string;
  method: string;
  statusCode: number;
  seconds: number;
}

/** The operator's view of one ledger: what the edge records, and the text a Prometheus server scrapes. */
export interface OperatorMetrics extends LedgerMeter {
  /** Records one answered request in the request-duration histogram. */
  requestAnswered(answer: AnsweredRequest): void;
  /** Every metric in Prometheus text format, with these gauges (read just now) beside them. */
  exposition(gauges: readonly GaugeReading[]): Promise<{ contentType: string; text: string }>;
}
