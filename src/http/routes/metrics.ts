import { routeGroup } from '../route-group.ts';
import type { ProjectionLag } from '../../app/projecting/projection-runner.ts';
import type { GaugeReading } from '../../ports/metrics.ts';

/**
 * `/metrics`: Prometheus text format 0.0.4 through prom-client (services.metrics): the process's
 * figures, the request-duration histogram, the domain counters, and these projection gauges, read
 * from the projection runner at each scrape.
 */
export const metricsRoutes = routeGroup(['projections', 'projectionRole', 'metrics'], async (app, { services }) => {
  app.get(
    '/metrics',
    {
      schema: {
        tags: ['operations'],
        operationId: 'getMetrics',
        security: [],
        summary: 'Prometheus metrics: request durations, acts, codes, captcha refusals, purges, projection positions and lag, process',
        response: { 200: { description: 'Prometheus text format 0.0.4', content: { 'text/plain': { schema: { type: 'string' } } } } },
      },
    },
    async (_request, reply) => {
      const { contentType, text } = await services.metrics.exposition([...gauges(await services.projections.lag()), ...leaseGauges(services.projectionRole())]);
      reply.type(contentType).header('cache-control', 'no-store');
      return text;
    },
  );
});

const PER_PROJECTION = ['projection'];

function gauges(lag: ProjectionLag): GaugeReading[] {
  const per = (value: (p: ProjectionLag['projections'][number]) => number) =>
    lag.projections.map((p) => ({ labels: { projection: p.name }, value: value(p) }));
  return [
    { name: 'ledger_event_store_head_position', help: 'Global position of the last event in the event store.', samples: [{ value: lag.headPosition }] },
    { name: 'ledger_projection_position', labelNames: PER_PROJECTION, help: 'Global position of the last event written to the projection.', samples: per((p) => p.position) },
    { name: 'ledger_projection_lag_events', labelNames: PER_PROJECTION, help: 'Events in the log the projection has not written yet.', samples: per((p) => p.lagEvents) },
    { name: 'ledger_projection_rebuilding', labelNames: PER_PROJECTION, help: '1 while the projection is being rebuilt into a fresh generation.', samples: per((p) => (p.rebuilding ? 1 : 0)) },
    {
      name: 'ledger_projection_lag_p99_seconds',
      help: '99th percentile of the time from append to read-model write, over the events written in the last minute.',
      samples: [{ value: lag.lagMsP99 === null ? null : lag.lagMsP99 / 1000 }],
    },
    { name: 'ledger_projections_running', help: '1 while the projection runner follows the log without error.', samples: [{ value: lag.running && !lag.error ? 1 : 0 }] },
  ];
}

/** Which process keeps the projections: exactly one of those sharing a store shows 1. */
function leaseGauges(status: { role: string; fencingToken?: number }): GaugeReading[] {
  return [
    { name: 'ledger_projection_lease_held', help: '1 while this process holds the projection lease and keeps the projections.', samples: [{ value: status.role === 'holder' ? 1 : 0 }] },
    {
      name: 'ledger_projection_fencing_token',
      help: 'Fencing token of the projection lease this process holds (NaN when it holds none).',
      samples: [{ value: status.fencingToken ?? null }],
    },
  ];
}
