import { randomBytes } from 'node:crypto';
import { startLedgerUnderLoad, type ProjectionFigures } from '../ledger-fixture.ts';
import type { Scenario } from '../scenario.ts';

/** How often the runner's figures are read while the load runs. */
const SAMPLE_EVERY_MS = 250;

/**
 * POST /api/v1/acts at full speed on a ledger process of its own, while the projection runner
 * follows: the note gives the runner's apply lag (append to read-model write) p99, read from
 * GET /readyz every 250 ms, since its window keeps only the latest few thousand events.
 */
export const projectionLag: Scenario = {
  id: 'projection-lag',
  route: 'POST /api/v1/acts (projection lag)',
  async prepare() {
    const target = await startLedgerUnderLoad();
    try {
      const provider = await target.registerProvider();
      const token = await provider.accessToken();
      const aifo = await target.addPerson({ displayName: 'Lag bench person', country: 'CZ' });
      const sepp = await target.seppOf(aifo, provider.providerId);
      const sampler = sampleProjections(target.projections);
      let n = 0;
      return {
        target: {
          url: `${target.url}/api/v1/acts`,
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          setupRequest: (request) => ({
            ...request,
            body: JSON.stringify({ sepp, documentHash: randomBytes(32).toString('hex'), name: `Lag bench act ${n++}`, description: 'Registered under load' }),
          }),
        },
        note: () => {
          const { p99s, behindMost, failures } = sampler;
          const worst = p99s.length ? Math.max(...p99s) : null;
          const median = p99s.length ? [...p99s].sort((a, b) => a - b)[Math.floor(p99s.length / 2)]! : null;
          return (
            `projection apply lag p99 (append to read-model write): worst ${worst?.toFixed(1) ?? 'n/a'} ms, median ${median?.toFixed(1) ?? 'n/a'} ms ` +
            `over ${p99s.length} readings (target < 100 ms); at most ${behindMost} events behind the head` +
            (failures > 0 ? `; ${failures} readings failed` : '')
          );
        },
        close: async () => {
          await sampler.stop();
          await target.close();
        },
      };
    } catch (error) {
      await target.close();
      throw error;
    }
  },
};

/** Reads the figures every SAMPLE_EVERY_MS, one reading at a time, until stopped. */
function sampleProjections(read: () => Promise<ProjectionFigures>) {
  const state = { p99s: [] as number[], behindMost: 0, failures: 0, stop: async () => {} };
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let reading: Promise<void> = Promise.resolve();
  const tick = () => {
    reading = read().then(
      (figures) => {
        if (figures.lagMsP99 !== null) state.p99s.push(figures.lagMsP99);
        state.behindMost = Math.max(state.behindMost, figures.lagEvents);
      },
      () => void state.failures++,
    ).then(() => {
      if (!stopped) timer = setTimeout(tick, SAMPLE_EVERY_MS);
    });
  };
  timer = setTimeout(tick, SAMPLE_EVERY_MS);
  state.stop = async () => {
    stopped = true;
    clearTimeout(timer);
    // The server stops after the last reading, not under it.
    await reading;
  };
  return state;
}
