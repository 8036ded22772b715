import type { LedgerConfig } from '../config.ts';
import type { CodeChannel } from '../../events/act.ts';
import type { Notifier } from '../ports/notifier.ts';
import { OutboxNotifier } from '../adapters/notify/outbox.ts';
import { SmsHttpNotifier } from '../adapters/notify/sms-http.ts';
import { FcmNotifier, loadServiceAccount } from '../adapters/notify/fcm.ts';

export interface Notifiers {
  /** One notifier per channel (LEDGER_SMS, LEDGER_MOBILE_KEY). */
  byChannel: Record<CodeChannel, Notifier>;
  /** The simulated phones, when a channel delivers to the outbox (simulator environment). */
  outbox?: OutboxNotifier;
}

/**
 * LEDGER_SMS and LEDGER_MOBILE_KEY: the outbox, the HTTPS SMS gateway, FCM HTTP v1. The service
 * account file is read here, so a missing or broken one stops the start, naming FCM_SERVICE_ACCOUNT_FILE.
 */
export async function buildNotifiers(config: LedgerConfig, clock: () => Date): Promise<Notifiers> {
  const { sms, mobileKey, attemptTimeoutMs } = config.delivery;
  const outbox = sms.kind === 'outbox' || mobileKey.kind === 'outbox' ? new OutboxNotifier(clock) : undefined;
  const smsNotifier: Notifier = sms.kind === 'http' ? new SmsHttpNotifier({ url: sms.url, token: sms.token, attemptTimeoutMs, clock }) : outbox!;
  const mobileKeyNotifier: Notifier =
    mobileKey.kind === 'fcm'
      ? new FcmNotifier({ serviceAccount: await loadServiceAccount(mobileKey.serviceAccountFile), apiUrl: mobileKey.apiUrl, attemptTimeoutMs, clock })
      : outbox!;
  return { byChannel: { sms: smsNotifier, 'mobile-key': mobileKeyNotifier }, ...(outbox ? { outbox } : {}) };
}
