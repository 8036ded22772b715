import { randomBytes } from 'node:crypto';
import { codeHashes } from '../../src/app/acts/act-service.ts';
import { call } from '../ledger-fixture.ts';
import type { Scenario } from '../scenario.ts';

/** How long the result read waits for the log's scheduled checkpoint to cover the act (LEDGER_CHECKPOINT_EVERY, PT10S). */
const CHECKPOINT_WAIT_MS = 30_000;

/**
 * GET /api/v1/acts/{actId} of an authorized act: its status and result from its own events, and
 * (once a checkpoint covers it) its receipt: the JWS, the event's canonical bytes and an inclusion
 * proof under the latest signed checkpoint.
 */
export const resultRead: Scenario = {
  id: 'result-read',
  route: 'GET /api/v1/acts/{actId} (authorized)',
  async prepare(context) {
    const target = await context.ledger();
    const provider = await target.registerProvider();
    const token = await provider.accessToken();
    const aifo = await target.addPerson({ displayName: 'Bench reader', country: 'CZ', phone: '+420799000001', phoneVerified: true, phoneAllowed: true });
    const sepp = await target.seppOf(aifo, provider.providerId);
    const headers = { authorization: `Bearer ${token}` };
    const { actId } = await call<{ actId: string }>(`${target.url}/api/v1/acts`, 201, {
      method: 'POST',
      headers,
      json: { sepp, documentHash: randomBytes(32).toString('hex'), name: 'Bench result', description: 'Read under load' },
    });
    const { codeId } = await call<{ codeId: string }>(`${target.url}/api/v1/acts/${actId}/codes`, 201, { method: 'POST', headers, json: { channel: 'sms' } });
    const { codeSha512 } = codeHashes(actId, await target.lastCodeSentTo(aifo));
    await call(`${target.url}/api/v1/acts/${actId}/codes/${codeId}/verifications`, 200, { method: 'POST', headers, json: { codeSha512 } });
    // Read as a provider would once the receipt is there (a ledger without receipts answers at once).
    let receipt = 'none';
    for (const until = Date.now() + CHECKPOINT_WAIT_MS; Date.now() < until; await new Promise((r) => setTimeout(r, 250))) {
      const act = await call<{ receipt?: { status: string } }>(`${target.url}/api/v1/acts/${actId}`, 200, { headers });
      receipt = act.receipt?.status ?? 'none';
      if (receipt !== 'pending') break;
    }
    return { target: { url: `${target.url}/api/v1/acts/${actId}`, method: 'GET', headers }, note: () => `receipt ${receipt}` };
  },
};
