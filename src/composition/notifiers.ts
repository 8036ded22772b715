import type { LedgerConfig } from '../config.ts';
import type { CodeChannel } from '../../events/act.ts';
import type { Notifier } from '../ports/notifier.ts';
import { OutboxNotifier } from '../adapters/notify/outbox.ts';

export interface Notifiers {
  /** One notifier per channel (LEDGER_SMS, LEDGER_MOBILE_KEY). */
  byChannel: Record<CodeChannel, Notifier>;
  /** The simulated phones, when a channel delivers to the outbox (simulator environment). */
  outbox?: OutboxNotifier;
}

/** LEDGER_SMS and LEDGER_MOBILE_KEY: the outbox, the HTTPS SMS gateway, FCM HTTP v1. */
export async function buildNotifiers(config: LedgerConfig, clock: () => Date): Promise<Notifiers> {
  const outbox = config.delivery.sms.kind === 'outbox' || config.delivery.mobileKey.kind === 'outbox' ? new OutboxNotifier(clock) : undefined;
  const pick = (kind: string): Notifier => {
    if (kind === 'outbox') return outbox!;
    // Filled in by the sms-http and fcm adapters.
    throw new Error(`the ${kind} notifier is not built yet`);
  };
  return { byChannel: { sms: pick(config.delivery.sms.kind), 'mobile-key': pick(config.delivery.mobileKey.kind) }, ...(outbox ? { outbox } : {}) };
}
