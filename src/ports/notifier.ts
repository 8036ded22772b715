import type { CodeChannel } from '../../events/act.ts';
import type { MobileKeyDevice } from './citizen-registry.ts';

export interface CodeMessage {
  /** Unique per code and the same on every attempt: the gateway's Idempotency-Key and reference. */
  messageId: string;
  channel: CodeChannel;
  aifo: string;
  actId: string;
  codeId: string;
  /** Phone number in E.164 (sms) or the Mobile Key device's id (mobile-key). */
  to: string;
  /** The Mobile Key device the code goes to (mobile-key only): its FCM token and, when it registered one, its public key. */
  device?: MobileKeyDevice;
  /** The text the citizen reads: names the provider and the act. */
  text: string;
  code: string;
  /** When the code stops being valid: nothing is delivered after it (FCM's ttl is the time left). */
  expiresAt: string;
}

/** Delivers authorization codes to citizens over one channel. One call is one attempt: retries are the caller's. */
export interface Notifier {
  /** Resolves when the gateway accepted the message; rejects with a DeliveryError saying whether to try again. */
  send(message: CodeMessage): Promise<void>;
}

/**
 * Why an attempt did not deliver:
 * - `retryable`: network error, timeout, 408, 429 or 5xx; try again after `retryAfterMs` when the gateway said so;
 * - `permanent`: any other refusal (4xx, a malformed answer); trying again will not help;
 * - `unregistered`: the push service no longer knows the device (FCM UNREGISTERED); it should leave the registry.
 */
export class DeliveryError extends Error {
  override readonly name = 'DeliveryError';
  constructor(
    readonly kind: 'retryable' | 'permanent' | 'unregistered',
    readonly reason: string,
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(reason, options);
  }
}

/** A message as the simulated phone shows it. */
export interface OutboxMessage {
  channel: CodeChannel;
  to: string;
  text: string;
  code: string;
  sentAt: string;
}

/** The simulator environment's phones: what the outbox notifier delivered to one person. */
export interface SimulatedPhones {
  /** Messages one person received, oldest first. */
  messagesFor(aifo: string): OutboxMessage[];
}
