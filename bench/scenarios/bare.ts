import Fastify from 'fastify';
import type { Scenario } from '../scenario.ts';

/** A bare fastify JSON route on the same machine, in the same run: the ceiling for every other row. */
export const bareRoute: Scenario = {
  id: 'bare',
  route: 'GET /bare (plain fastify)',
  baseline: true,
  async prepare() {
    const app = Fastify({ logger: false });
    app.get('/bare', async () => ({ status: 'ok' }));
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    return { target: { url: `${url}/bare` }, close: () => app.close() };
  },
};
