import type { Ledger } from '../../src/composition/ledger.ts';
import { codeHashes } from '../../src/app/acts/act-service.ts';
import { sentCode } from './delivery.ts';
import type { providerSession } from './act-flows.ts';

type Session = Awaited<ReturnType<typeof providerSession>>;

/**
 * Runs the scripted conformance set as a provider would in a simulator ledger, through its API and
 * the simulated identity node: an act registered and authorized by code, a wrong code then the right
 * one, an authorization by authentication, a cancelled authentication read back, results read. The
 * ledger records ConformancePassed by itself once the provider has access (not granted here).
 */
export async function runSimulatorConformance(ledger: Ledger, session: Session, options: { aifo: string; returnUrl: string }): Promise<void> {
  const { aifo, returnUrl } = options;
  const call = async (method: 'GET' | 'POST', url: string, payload?: object) => {
    const res = await ledger.app.inject({ method, url, headers: { authorization: `Bearer ${session.token}` }, ...(payload ? { payload } : {}) });
    if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
    return res.json() as Record<string, unknown>;
  };
  const throughIdentityNode = async (actId: string, form: Record<string, string>) => {
    const started = await ledger.app.inject({ method: 'GET', url: `/authorize/${actId}?${new URLSearchParams({ redirect_uri: returnUrl, state: 'conformance' })}` });
    if (started.statusCode !== 303) throw new Error(`authorize: ${started.statusCode} ${started.body}`);
    const cookies = Object.fromEntries(started.cookies.map((c) => [c.name, c.value]));
    const node = new URL(started.headers.location as string);
    const answered = await ledger.app.inject({
      method: 'POST',
      url: node.pathname,
      payload: new URLSearchParams({ request: node.searchParams.get('request')!, ...form }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    if (answered.statusCode !== 303) throw new Error(`identity node: ${answered.statusCode} ${answered.body}`);
    const callback = new URL(answered.headers.location as string);
    const back = await ledger.app.inject({ method: 'GET', url: `${callback.pathname}${callback.search}`, cookies });
    if (back.statusCode !== 303) throw new Error(`callback: ${back.statusCode} ${back.body}`);
  };

  const byCode = await session.register(aifo, 'conformance: code flow', 'Code flow');
  await session.authorizeByCode(byCode, aifo);

  const wrongFirst = await session.register(aifo, 'conformance: wrong code', 'Wrong code first');
  const { codeId, codeSha256 } = await call('POST', `/api/v1/acts/${wrongFirst}/codes`, { channel: 'sms' });
  const code = await sentCode(ledger, aifo, wrongFirst, { codeId: String(codeId), codeSha256: String(codeSha256) });
  const verifications = `/api/v1/acts/${wrongFirst}/codes/${String(codeId)}/verifications`;
  await call('POST', verifications, { codeSha512: 'f'.repeat(128) });
  await call('POST', verifications, { codeSha512: codeHashes(wrongFirst, code).codeSha512 });

  await throughIdentityNode(await session.register(aifo, 'conformance: authentication', 'By authentication'), { action: 'authenticate', person: aifo, means: 'eid-card' });
  const cancelled = await session.register(aifo, 'conformance: cancelled', 'Cancelled');
  await throughIdentityNode(cancelled, { action: 'cancel' });

  await call('GET', `/api/v1/acts/${byCode}`);
  await call('GET', `/api/v1/acts/${cancelled}`);
}
