import { randomBytes } from 'node:crypto';
import { providerSector } from '../../src/app/pseudonyms.ts';
import { startLedgerUnderLoad } from '../ledger-fixture.ts';
import type { Scenario } from '../scenario.ts';

/** How often the runner's figures are read while the load runs. */
const SAMPLE_EVERY_MS = 250;

/**
 * POST /api/v1/acts at full speed on a ledger of its own, while the projection runner follows:
 * the note gives the runner's apply lag (append to read-model write) p99, read from it every
 * 250 ms, since its window keeps only the latest few thousand events.
 */
export const projectionLag: Scenario = {
  id: 'projection-lag',
  route: 'POST /api/v1/acts (projection lag)',
  async prepare() {
    const target = await startLedgerUnderLoad();
    const { services } = target.ledger;
    const provider = await target.registerProvider();
    const token = await provider.accessToken();
    const person = await services.citizens.add({ displayName: 'Lag bench person', country: 'CZ', phoneVerified: false, phoneAllowed: false, mobileKeys: [] }, services.clock().toISOString());
    const sepp = await services.pseudonyms.seppFor(providerSector(provider.providerId), person);
    const p99s: number[] = [];
    let behindMost = 0;
    const sampler = setInterval(() => {
      void services.projections.lag().then((lag) => {
        if (lag.lagMsP99 !== null) p99s.push(lag.lagMsP99);
        behindMost = Math.max(behindMost, lag.lagEvents);
      });
    }, SAMPLE_EVERY_MS);
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
        const worst = p99s.length ? Math.max(...p99s) : null;
        const median = p99s.length ? [...p99s].sort((a, b) => a - b)[Math.floor(p99s.length / 2)]! : null;
        return (
          `projection apply lag p99 (append to read-model write): worst ${worst?.toFixed(1) ?? 'n/a'} ms, median ${median?.toFixed(1) ?? 'n/a'} ms ` +
          `over ${p99s.length} readings (target < 100 ms); at most ${behindMost} events behind the head`
        );
      },
      close: async () => {
        clearInterval(sampler);
        await target.close();
      },
    };
  },
};
