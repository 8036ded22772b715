import { createHash } from 'node:crypto';
import type { Ledger } from '../../src/composition/ledger.ts';
import type { OutboxMessage } from '../../src/ports/notifier.ts';

/**
 * Codes are delivered by a task after the code request has answered: these wait for the delivery,
 * by the simulated phone (the message whose code hashes to the answered codeSha256) or by the
 * provider's view of the act (the code's `delivery` leaves `pending`).
 */

/** The shape of a code in GET /api/v1/acts/{actId}. */
export interface DeliveredCodeView {
  codeId: string;
  channel: string;
  delivery: 'pending' | 'sent' | 'failed';
  issuedAt: string;
  expiresAt: string;
  deliveredAt?: string;
  failure?: { reason: string; failedAt: string };
}

/** Polls `read` until it gives something; fails naming `what` after `timeoutMs`. */
export async function eventually<T>(what: string, read: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000, everyMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/**
 * The code a message's text carries: `Kód: 123456.` for a domestic person (Czech), `Code: 123456.`
 * for a foreign one (English). Undefined when the text holds none.
 */
export function codeInText(text: string): string | undefined {
  return /^(?:Kód|Code): (\d+)\./.exec(text)?.[1];
}

/** The message among `messages` that carries the code answered as `codeSha256` for `actId`. */
export function messageWithCode<M extends { code: string }>(messages: readonly M[], actId: string, codeSha256: string): M | undefined {
  return messages.find((m) => createHash('sha256').update(`${actId}:${m.code}`, 'utf8').digest('hex') === codeSha256);
}

/** Waits until the simulated phone of `aifo` shows the code answered as `codeSha256` (a ledger built in this process). */
export function deliveredMessage(ledger: Ledger, aifo: string, actId: string, codeSha256: string, timeoutMs = 10_000): Promise<OutboxMessage> {
  return eventually(`the code of act ${actId} on the simulated phone`, () => messageWithCode(ledger.services.outbox!.messagesFor(aifo), actId, codeSha256), timeoutMs);
}

/** The same over HTTP: `messages` reads the outbox (GET /api/v1/simulator/outbox?aifo=...). */
export function deliveredMessageFrom<M extends { code: string }>(messages: () => Promise<readonly M[]>, actId: string, codeSha256: string, timeoutMs = 10_000): Promise<M> {
  return eventually(`the code of act ${actId} on the simulated phone`, async () => messageWithCode(await messages(), actId, codeSha256), timeoutMs, 50);
}

/** Polls the act (`readAct`: GET /api/v1/acts/{actId}) until code `codeId` is no longer pending; answers that code. */
export function settledDelivery(readAct: () => Promise<{ codes?: DeliveredCodeView[] }>, codeId: string, timeoutMs = 10_000): Promise<DeliveredCodeView> {
  return eventually(
    `the delivery of code ${codeId} to settle`,
    async () => {
      const code = (await readAct()).codes?.find((c) => c.codeId === codeId);
      return code && code.delivery !== 'pending' ? code : undefined;
    },
    timeoutMs,
    50,
  );
}

/**
 * Waits until code `issued` of `actId` is recorded as sent (its CodeDelivered appended), then answers
 * the code from the simulated phone of `aifo` (a ledger built in this process). Throws when the
 * delivery failed.
 */
export async function sentCode(ledger: Ledger, aifo: string, actId: string, issued: { codeId: string; codeSha256: string }, timeoutMs = 10_000): Promise<string> {
  await eventually(
    `code ${issued.codeId} of act ${actId} to be sent`,
    async () => {
      const code = (await ledger.services.acts.load(actId)).state.codes[issued.codeId];
      if (code?.delivery === 'failed') throw new Error(`the delivery of code ${issued.codeId} failed: ${code.failure?.reason}`);
      return code?.delivery === 'sent' ? true : undefined;
    },
    timeoutMs,
  );
  const message = messageWithCode(ledger.services.outbox!.messagesFor(aifo), actId, issued.codeSha256);
  if (!message) throw new Error(`code ${issued.codeId} was recorded as sent but is not on the simulated phone of ${aifo}`);
  return message.code;
}
