import type { CodeChannel } from '../../events/act.ts';

export interface CodeMessage {
  channel: CodeChannel;
  aifo: string;
  /** Phone number (sms) or Mobile Key device id (mobile-key). */
  to: string;
  /** The text the citizen reads: names the provider and the act. */
  text: string;
  code: string;
}

/** Delivers authorization codes to citizens. */
export interface Notifier {
  /** Resolves when the gateway accepted the message; rejects with the reason otherwise. */
  send(message: CodeMessage): Promise<void>;
}
