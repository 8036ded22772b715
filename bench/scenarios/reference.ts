import { randomBytes } from 'node:crypto';
import { startProcess } from '../../test/support/server.ts';
import type { Scenario } from '../scenario.ts';

/** bench/reference-server.ts in a process of its own (it answers GET /bare once it is up). */
async function referenceServer() {
  return startProcess({ args: ['--import', 'tsx', 'bench/reference-server.ts'], readyPath: '/bare', output: 'discard' });
}

/** A body shaped like register-act's, a fresh document hash each time. */
const actBody = () => JSON.stringify({ sepp: 'kR60yIW19oOwZMz4lvPC_h6pSAh7f7ca3H2iDGV87xg', documentHash: randomBytes(32).toString('hex'), name: 'Bench act', description: 'Registered under load' });

/** A bare fastify JSON route, measured the same way in the same run: the ceiling every row is divided by. */
export const bareRoute: Scenario = {
  id: 'bare',
  route: 'GET /bare (plain fastify)',
  baseline: true,
  async prepare() {
    const server = await referenceServer();
    return { target: { url: `${server.url}/bare` }, close: server.stop };
  },
};

/** A reference row, not a ledger route: a register-act-shaped body POSTed to `path` of the reference server. */
function referencePost(id: string, route: string, path: string): Scenario {
  return {
    id,
    route,
    async prepare() {
      const server = await referenceServer();
      return {
        target: { url: `${server.url}${path}`, method: 'POST', headers: { 'content-type': 'application/json' }, setupRequest: (r) => ({ ...r, body: actBody() }) },
        close: server.stop,
      };
    },
  };
}

/** What any POST with a JSON body checked against a schema costs, with no work behind it. */
export const jsonFloor = referencePost('reference-json', 'reference: POST, JSON body + schema, no I/O', '/reference/json');

/** The same POST plus one insert, group-committed and fsynced the way the ledger appends events: no durable write does better here. */
export const durableFloor = referencePost('reference-durable', 'reference: the same + 1 durable insert', '/reference/durable');
