import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { buildLedger } from '../../src/composition/ledger.ts';
import { replayLedger } from '../../src/composition/replay.ts';
import { ledgerFiles, openEventFile } from '../../src/composition/stores.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { appendMixedActs } from '../mixed-acts.ts';
import type { Workload } from '../scenario.ts';

const ACTS = 20_000;

/**
 * `ledger replay` on the embedded default: every projection rebuilt from zero into shadow read
 * models and compared with the live ones, next to a bare read of the same log in batches of the
 * same size (what no replay can beat): the ratio is what projecting, writing and comparing cost.
 */
export const replayWorkload: Workload = {
  id: 'replay',
  name: 'ledger replay',
  async run() {
    const dataDir = mkdtempSync(join(tmpdir(), 'ledger-bench-replay-'));
    const config = loadConfig({ LEDGER_DATA_DIR: dataDir, LEDGER_ADMIN_TOKEN: 'bench-replay' });
    try {
      const ledger = await buildLedger(config, { runJobs: false, logger: createLogger('warn', pino.destination({ dest: '/dev/null', sync: false })) });
      try {
        const { services } = ledger;
        await appendMixedActs(services, { count: ACTS, providerId: 'bench-provider', registeredAt: new Date(services.clock().getTime() - 3_600_000) });
        await services.projections.waitFor(await services.eventStore.headPosition(), 600_000);
      } finally {
        await ledger.close();
      }

      const { db, eventStore } = openEventFile(ledgerFiles(dataDir).events);
      let events = 0;
      const reading = performance.now();
      try {
        for (let after = 0; ; ) {
          const batch = await eventStore.readAll({ after, limit: 1000 });
          if (batch.length === 0) break;
          events += batch.length;
          after = batch[batch.length - 1]!.position;
        }
      } finally {
        await eventStore.close();
        db.close();
      }
      const readRate = events / ((performance.now() - reading) / 1000);

      const started = performance.now();
      const report = await replayLedger(config);
      const seconds = (performance.now() - started) / 1000;
      if (report.differences !== 0) throw new Error(`the replay found ${report.differences} differences on an untouched store`);
      if (report.events !== events) throw new Error(`the replay read ${report.events} of ${events} events`);
      const replayRate = events / seconds;
      const n = (x: number) => Math.round(x).toLocaleString('en-US');
      return (
        `${n(events)} events (${n(ACTS)} mixed acts), ${report.projections.length} projections: replay ${n(replayRate)} events/s ` +
        `(${seconds.toFixed(1)} s: ${(report.buildMs / 1000).toFixed(1)} s rebuilding, ${(report.compareMs / 1000).toFixed(1)} s comparing) ` +
        `vs raw read-all ${n(readRate)} events/s: ratio ${(replayRate / readRate).toFixed(3)}`
      );
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};
