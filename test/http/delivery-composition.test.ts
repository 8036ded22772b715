import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import { buildLedger, type Ledger } from '../../src/composition/ledger.ts';
import { runsDeliveries } from '../../src/composition/delivery.ts';
import { actAsToken, registerProvider, seppOf, tempDir, testConfig } from '../support/ledger.ts';
import { privateRedisForTests, type PrivateRedis } from '../support/redis.ts';
import { messageWithCode, settledDelivery, type DeliveredCodeView } from '../support/delivery.ts';

const JANA = 'test-person-jana';

describe('where deliveries run', () => {
  it('in-process tasks run where they are queued; on BullMQ, where projections and jobs run; CLI tools run none', () => {
    expect(runsDeliveries({ jobs: 'inprocess', projections: false }, true)).toBe(true);
    expect(runsDeliveries({ jobs: 'bullmq', projections: false }, true)).toBe(false);
    expect(runsDeliveries({ jobs: 'bullmq', projections: true }, true)).toBe(true);
    expect(runsDeliveries({ jobs: 'inprocess', projections: true }, false)).toBe(false);
  });
});

const redis: PrivateRedis | undefined = await privateRedisForTests();

if (redis) {
  describe('BullMQ: a serve-only process queues a code, the worker process delivers it', () => {
    let api: Ledger;
    let worker: Ledger;

    beforeAll(async () => {
      const dataDir = tempDir();
      const env = { LEDGER_JOBS: 'bullmq', REDIS_URL: redis.url, LEDGER_DATA_DIR: dataDir };
      api = await buildLedger(testConfig({ ...env, LEDGER_PROJECTIONS: 'off' }), { logger: createLogger('silent') });
      // The same data dir: the worker reads the same key file, so it opens what the API sealed.
      worker = await buildLedger(testConfig({ ...env, LEDGER_PROJECTIONS: 'on' }), { logger: createLogger('silent') });
      await Promise.all([api.app.ready(), worker.app.ready()]);
    }, 60_000);
    afterAll(async () => {
      await api?.close();
      await worker?.close();
      await redis.dispose();
    });

    it('answers pending; the act shows the code sent, and only the phones of the worker process got it', async () => {
      const provider = await registerProvider(api);
      const token = await actAsToken(api, provider);
      const call = async (method: 'GET' | 'POST', url: string, payload?: object) =>
        (await api.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) })).json() as Record<string, unknown>;
      const sepp = await seppOf(api, JANA, provider.providerId);
      const { actId } = await call('POST', '/api/v1/acts', { sepp, documentHash: 'c'.repeat(64), name: 'Split processes' });
      const issued = await call('POST', `/api/v1/acts/${String(actId)}/codes`, { channel: 'sms' });
      expect(issued.delivery).toBe('pending');
      const code = await settledDelivery(async () => (await call('GET', `/api/v1/acts/${String(actId)}`)) as { codes: DeliveredCodeView[] }, String(issued.codeId), 20_000);
      expect(code).toMatchObject({ delivery: 'sent' });
      expect(messageWithCode(worker.services.outbox!.messagesFor(JANA), String(actId), String(issued.codeSha256))).toBeDefined();
      expect(api.services.outbox!.messagesFor(JANA)).toEqual([]);
    }, 30_000);
  });
} else {
  describe('BullMQ delivery across processes', () => {
    it.skip('SKIPPED: no redis-server to start', () => undefined);
  });
}
