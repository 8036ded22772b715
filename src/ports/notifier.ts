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
