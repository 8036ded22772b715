import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { buildLedger } from '../../src/composition/ledger.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { appendFailedActs } from '../failed-acts.ts';
import type { Workload } from '../scenario.ts';

const ACTS = 100_000;

/**
 * The retention purge erasing 100,000 failed acts on the embedded default (SQLite, fsync on
 * commit): data keys destroyed, one RetentionPurgeExecuted per batch, rows gone from every read
 * model. The acts are appended straight through the act codec and projected before the clock starts.
 */
export const purgeWorkload: Workload = {
  id: 'purge',
  name: 'retention purge',
  async run() {
    const dataDir = mkdtempSync(join(tmpdir(), 'ledger-bench-purge-'));
    const config = loadConfig({ LEDGER_DATA_DIR: dataDir, LEDGER_ADMIN_TOKEN: 'bench-purge' });
    const ledger = await buildLedger(config, { runJobs: false, logger: createLogger('warn', pino.destination({ dest: '/dev/null', sync: false })) });
    try {
      const { services } = ledger;
      const failedAt = new Date(services.clock().getTime() - config.retention.failedAuthorizationRetentionMs - 3_600_000);
      const seeding = performance.now();
      await appendFailedActs(services, { count: ACTS, providerId: 'bench-provider', failedAt });
      await services.projections.waitFor(await services.eventStore.headPosition(), 600_000);
      const seededS = (performance.now() - seeding) / 1000;

      const started = performance.now();
      const report = await services.retentionPurge.run('bench');
      const seconds = (performance.now() - started) / 1000;
      if (report.recordedActs !== ACTS) throw new Error(`the purge recorded ${report.recordedActs} of ${ACTS} acts`);
      const rate = Math.round(ACTS / seconds).toLocaleString('en-US');
      return (
        `${ACTS.toLocaleString('en-US')} failed acts erased in ${seconds.toFixed(1)} s: ${rate} acts/s ` +
        `(${report.batches} batches of ${config.retention.purgeBatchSize}: keys destroyed, one RetentionPurgeExecuted each, read-model rows deleted; ` +
        `seeding and projecting them took ${seededS.toFixed(1)} s, untimed)`
      );
    } finally {
      await ledger.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};
