import { randomBytes } from 'node:crypto';
import { startProcess } from '../../test/support/server.ts';
import type { Scenario } from '../scenario.ts';

/** bench/reference-server.ts in a process of its own, answering `path`. */
async function referenceServer(readyPath: string) {
  return startProcess({ args: ['--import', 'tsx', 'bench/reference-server.ts'], readyPath, output: 'discard' });
}

/** A body shaped like register-act's, a fresh document hash each time. */
const actBody = () => JSON.stringify({ sepp: 'kR60yIW19oOwZMz4lvPC_h6pSAh7f7ca3H2iDGV87xg', documentHash: randomBytes(32).toString('hex'), name: 'Bench act', description: 'Registered under load' });

/** A bare fastify JSON route, measured the same way in the same run: the ceiling every row is divided by. */
export const bareRoute: Scenario = {
  id: 'bare',
  route: 'GET /bare (plain fastify)',
  baseline: true,
  async prepare() {
    const server = await referenceServer('/bare');
    return { target: { url: `${server.url}/bare` }, close: server.stop };
  },
};

/** A reference, not a ledger route: what any POST with a JSON body checked against a schema costs, with no work behind it. */
export const jsonFloor: Scenario = {
  id: 'reference-json',
  route: 'reference: POST, JSON body + schema, no I/O',
  async prepare() {
    const server = await referenceServer('/bare');
    return {
      target: { url: `${server.url}/reference/json`, method: 'POST', headers: { 'content-type': 'application/json' }, setupRequest: (r) => ({ ...r, body: actBody() }) },
      close: server.stop,
    };
  },
};

/**
 * A reference, not a ledger route: the same POST plus one insert, group-committed and fsynced the
 * way the ledger appends events. No write that is durable before it answers can do better here.
 */
export const durableFloor: Scenario = {
  id: 'reference-durable',
  route: 'reference: the same + 1 durable insert',
  async prepare() {
    const server = await referenceServer('/bare');
    return {
      target: { url: `${server.url}/reference/durable`, method: 'POST', headers: { 'content-type': 'application/json' }, setupRequest: (r) => ({ ...r, body: actBody() }) },
      close: server.stop,
    };
  },
};
