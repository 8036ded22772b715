import { startLedgerUnderLoad, type LedgerUnderLoad } from './ledger-fixture.ts';
import { memoryOf } from './scale-disk.ts';

const READY_TIMEOUT_MS = 600_000;

/** A server started on a store, and how long it took to come up. */
export interface StartedLedger {
  ledger: LedgerUnderLoad;
  /** Spawn to the first answer of /healthz: the process listens. */
  liveS: number;
  /** Spawn to /readyz answering 200: every part it depends on answers, the projections included. */
  readyS: number;
  /** The process's resident set once ready, before any load. */
  rssAtReadyBytes: number;
}

/** `ledger serve` on `dataDir` (a fresh empty store unless given), timed from spawn until ready. */
export async function startTimed(dataDir?: string): Promise<StartedLedger> {
  const spawned = performance.now();
  const ledger = await startLedgerUnderLoad(dataDir ? { dataDir } : {});
  const liveS = (performance.now() - spawned) / 1000;
  try {
    for (const deadline = Date.now() + READY_TIMEOUT_MS; ; await new Promise((r) => setTimeout(r, 50))) {
      const res = await fetch(`${ledger.url}/readyz`);
      await res.arrayBuffer();
      if (res.status === 200) break;
      if (Date.now() > deadline) throw new Error(`the ledger on ${ledger.dataDir} was not ready within ${READY_TIMEOUT_MS} ms`);
    }
    const readyS = (performance.now() - spawned) / 1000;
    return { ledger, liveS, readyS, rssAtReadyBytes: memoryOf(ledger.pid).rssBytes };
  } catch (error) {
    await ledger.close();
    throw error;
  }
}
