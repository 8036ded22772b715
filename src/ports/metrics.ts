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
