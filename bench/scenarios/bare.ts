import { startProcess } from '../../test/support/server.ts';
import type { Scenario } from '../scenario.ts';

/**
 * A bare fastify JSON route (bench/bare-server.mjs) in a process of its own, as the ledger runs
 * in its own: the ceiling for every other row, measured the same way, in the same run.
 */
export const bareRoute: Scenario = {
  id: 'bare',
  route: 'GET /bare (plain fastify)',
  baseline: true,
  async prepare() {
    const server = await startProcess({ args: ['bench/bare-server.mjs'], readyPath: '/bare', output: 'discard' });
    return { target: { url: `${server.url}/bare` }, close: server.stop };
  },
};
