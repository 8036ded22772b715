import Fastify, { type FastifyBaseLogger } from 'fastify';
import swagger from '@fastify/swagger';
import type { LedgerConfig } from '../config.ts';
import { buildLedger } from '../composition/ledger.ts';
import { healthRoutes } from '../http/routes/health.ts';
import { metricsRoutes } from '../http/routes/metrics.ts';
import { openApiInfo } from '../http/openapi-info.ts';
import { pickServices, type RouteGroup } from '../http/route-group.ts';

/**
 * `ledger worker`: keeps the read models up to date and runs the jobs (retention purge, expiry
 * sweep), always, whatever LEDGER_PROJECTIONS says: it competes for the projection lease, and while
 * another process holds it, stands by to take over. It answers no API, only /healthz, /readyz and
 * /metrics on HOST:PORT (give it a port of its own beside `ledger serve` on one machine).
 */
export async function worker(config: LedgerConfig): Promise<void> {
  const ledger = await buildLedger({ ...config, projections: true });
  const { logger } = ledger.services;
  const operations = Fastify({ loggerInstance: logger as FastifyBaseLogger, disableRequestLogging: true, return503OnClosing: true });
  await operations.register(swagger, { openapi: openApiInfo() });
  for (const group of [healthRoutes, metricsRoutes] as RouteGroup[]) await operations.register(group.routes, { services: pickServices(ledger.services, group.uses) });
  try {
    await operations.listen({ host: config.host, port: config.port });
  } catch (error) {
    await ledger.close();
    throw error;
  }
  logger.info(
    { eventStore: config.eventStore.kind, readModels: config.readModels.kind, jobs: config.jobs, operations: `http://${config.host}:${config.port}`, ...ledger.services.projectionRole() },
    'ledger worker running: projections and jobs (while it holds the projection lease), /healthz /readyz /metrics, no API',
  );

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'closing');
    const force = setTimeout(() => process.exit(1), 30_000);
    force.unref();
    operations
      .close()
      .then(() => ledger.close())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'error while closing');
          process.exit(1);
        },
      );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}
