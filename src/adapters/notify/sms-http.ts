import { DeliveryError, type CodeMessage, type Notifier } from '../../ports/notifier.ts';
import { discardBody, E164, isRetryableStatus, msUntil, retryAfterMs, unreachable } from './http-attempt.ts';

export interface SmsHttpOptions {
  /** SMS_HTTP_URL: where messages are POSTed. */
  url: string;
  /** SMS_HTTP_TOKEN: the bearer token the gateway issued. */
  token: string;
  /** How long one attempt may take, answer body included. */
  attemptTimeoutMs: number;
  clock?: () => Date;
}

const PEER = 'SMS gateway';

/**
 * The generic HTTPS SMS gateway of the README's contract: one POST per attempt, the message id as
 * Idempotency-Key and reference (so a retry after a lost answer is not a second SMS), any 2xx accepted.
 * Reasons name the status only: never the token, the phone number or the text.
 */
export class SmsHttpNotifier implements Notifier {
  private readonly clock: () => Date;

  constructor(private readonly options: SmsHttpOptions) {
    this.clock = options.clock ?? (() => new Date());
  }

  async send(message: CodeMessage): Promise<void> {
    if (!E164.test(message.to)) throw new DeliveryError('permanent', 'the phone number is not in E.164 form');
    if (!(msUntil(message.expiresAt, this.clock()) > 0)) throw new DeliveryError('permanent', 'the code expired before it could be sent');
    let res: Response;
    try {
      res = await fetch(this.options.url, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${this.options.token}`,
          'idempotency-key': message.messageId,
          'content-type': 'application/json',
          accept: 'application/json',
        },
        body: JSON.stringify({ to: message.to, text: message.text, reference: message.messageId }),
        // A redirect would carry the bearer token somewhere not configured: it is a refusal.
        redirect: 'manual',
        signal: AbortSignal.timeout(this.options.attemptTimeoutMs),
      });
      await discardBody(res);
    } catch (error) {
      throw unreachable(PEER, error, this.options.attemptTimeoutMs);
    }
    if (res.status >= 200 && res.status < 300) return;
    if (isRetryableStatus(res.status)) {
      throw new DeliveryError('retryable', `${PEER} answered ${res.status}`, retryAfterMs(res.headers.get('retry-after'), this.clock()));
    }
    throw new DeliveryError('permanent', `${PEER} refused the message (${res.status})`);
  }
}
