import { createHash, randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { streamNames } from '../../events/envelope.ts';
import { projections } from '../../projections/index.ts';
import { buildLedger, type Ledger } from '../../src/composition/ledger.ts';
import { createLogger } from '../../src/logger.ts';
import { ADMIN_TOKEN, actAsToken, registerProvider, seppOf, testBuildOptions, testConfig, type ProviderIdentity } from './ledger.ts';
import { sentCode } from './delivery.ts';

export const HOUR = 3_600_000;
export const JANA = 'test-person-jana';

/** A clock the test moves; the ledger's commands read their time from it. */
export function movableClock(start = new Date('2026-11-20T08:00:00.000Z')) {
  let now = start.getTime();
  return {
    clock: () => new Date(now),
    advance(ms: number) {
      now += ms;
    },
  };
}

/** A ledger on `env` (a fresh data dir unless LEDGER_DATA_DIR is given) whose clock the test holds. */
export async function ledgerWithClock(env: Record<string, string>, clock: () => Date): Promise<Ledger> {
  const ledger = await buildLedger(testConfig(env), testBuildOptions({ clock }));
  await ledger.app.ready();
  return ledger;
}

export const admin = (ledger: Ledger, method: 'GET' | 'PUT', url: string, payload?: object) =>
  ledger.app.inject({ method, url, headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, ...(payload ? { payload } : {}) });

/** A provider with an ActAs token, and acts it registers and drives through the API. */
export async function providerClient(ledger: Ledger, name = 'Tax office e-service') {
  const identity: ProviderIdentity = await registerProvider(ledger, { name });
  const token = await actAsToken(ledger, identity);
  const sepp = await seppOf(ledger, JANA, identity.providerId);
  const call = (method: 'GET' | 'POST', url: string, payload?: object) =>
    ledger.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });
  return {
    providerId: identity.providerId,
    call,
    async register(name = 'Tax return 2026'): Promise<string> {
      const res = await call('POST', '/api/v1/acts', { sepp, documentHash: randomBytes(32).toString('hex'), name, description: 'Annual income tax return' });
      expect(res.statusCode, res.body).toBe(201);
      return (res.json() as { actId: string }).actId;
    },
    /** Sends a code by SMS and answers with a wrong one until the attempts run out. */
    async failByWrongCodes(actId: string): Promise<void> {
      const issued = await call('POST', `/api/v1/acts/${actId}/codes`, { channel: 'sms' });
      expect(issued.statusCode, issued.body).toBe(201);
      const { codeId } = issued.json() as { codeId: string };
      const wrong = createHash('sha512').update('not the code').digest('hex');
      for (let i = 0; i < ledger.services.config.code.attempts; i++) await call('POST', `/api/v1/acts/${actId}/codes/${codeId}/verifications`, { codeSha512: wrong });
      expect((await ledger.services.acts.load(actId)).state.status).toBe('failed');
    },
    async authorizeByCode(actId: string): Promise<void> {
      const issued = await call('POST', `/api/v1/acts/${actId}/codes`, { channel: 'sms' });
      const { codeId, codeSha256 } = issued.json() as { codeId: string; codeSha256: string };
      const codeSha512 = createHash('sha512').update(`${actId}:${await sentCode(ledger, JANA, actId, { codeId, codeSha256 })}`).digest('hex');
      const res = await call('POST', `/api/v1/acts/${actId}/codes/${codeId}/verifications`, { codeSha512 });
      expect(res.json()).toMatchObject({ result: 'authorized' });
    },
  };
}

/** The acts each RetentionPurgeExecuted in the `retention` stream names. */
export async function purgeRecords(ledger: Ledger): Promise<Array<{ runId: string; purgedActIds: string[]; fromSequence: number; throughSequence: number }>> {
  const events = await ledger.services.eventStore.readStream(streamNames.retention);
  return events.filter((e) => e.type === 'RetentionPurgeExecuted').map((e) => e.data as { runId: string; purgedActIds: string[]; fromSequence: number; throughSequence: number });
}

/** How many RetentionPurgeExecuted events name each act id. */
export async function timesRecorded(ledger: Ledger): Promise<Map<string, number>> {
  const times = new Map<string, number>();
  for (const record of await purgeRecords(ledger)) for (const id of record.purgedActIds) times.set(id, (times.get(id) ?? 0) + 1);
  return times;
}

/** Every read-model row about the act, in every collection that indexes actId. */
export async function rowsAbout(ledger: Ledger, actId: string): Promise<Record<string, number>> {
  const rows: Record<string, number> = {};
  for (const c of projections.flatMap((p) => p.collections).filter((c) => c.indexes.includes('actId'))) {
    const found = await ledger.services.readModels.find(c.name, { where: { actId } });
    if (found.length > 0) rows[c.name] = found.length;
  }
  return rows;
}

/** The read models reflect everything appended so far. */
export async function caughtUp(ledger: Ledger): Promise<void> {
  await ledger.services.projections.waitFor(await ledger.services.eventStore.headPosition(), 60_000);
}

export async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
