import { routeGroup } from '../route-group.ts';
import type { ProjectionLag } from '../../app/projecting/projection-runner.ts';

/** Prometheus text exposition format, version 0.0.4. */
const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

interface Gauge {
  name: string;
  help: string;
  samples: Array<{ labels?: Record<string, string>; value: number | null }>;
}

/** `/metrics`: a few gauges, written by hand; the ledger needs no metrics library for them. */
export const metricsRoutes = routeGroup(['projections', 'projectionRole'], async (app, { services }) => {
  app.get(
    '/metrics',
    {
      schema: {
        tags: ['operations'],
        summary: 'Prometheus metrics: event store head, projection positions and lag',
        response: { 200: { description: 'Prometheus text format 0.0.4', content: { 'text/plain': { schema: { type: 'string' } } } } },
      },
    },
    async (_request, reply) => {
      reply.type(CONTENT_TYPE).header('cache-control', 'no-store');
      return exposition([...gauges(await services.projections.lag()), ...leaseGauges(services.projectionRole())]);
    },
  );
});

function gauges(lag: ProjectionLag): Gauge[] {
  const per = (value: (p: ProjectionLag['projections'][number]) => number) =>
    lag.projections.map((p) => ({ labels: { projection: p.name }, value: value(p) }));
  return [
    { name: 'ledger_event_store_head_position', help: 'Global position of the last event in the event store.', samples: [{ value: lag.headPosition }] },
    { name: 'ledger_projection_position', help: 'Global position of the last event written to the projection.', samples: per((p) => p.position) },
    { name: 'ledger_projection_lag_events', help: 'Events in the log the projection has not written yet.', samples: per((p) => p.lagEvents) },
    { name: 'ledger_projection_rebuilding', help: '1 while the projection is being rebuilt into a fresh generation.', samples: per((p) => (p.rebuilding ? 1 : 0)) },
    {
      name: 'ledger_projection_lag_p99_seconds',
      help: '99th percentile of the time from append to read-model write, over the events written in the last minute.',
      samples: [{ value: lag.lagMsP99 === null ? null : lag.lagMsP99 / 1000 }],
    },
    { name: 'ledger_projections_running', help: '1 while the projection runner follows the log without error.', samples: [{ value: lag.running && !lag.error ? 1 : 0 }] },
  ];
}

/** Which process keeps the projections: exactly one of those sharing a store shows 1. */
function leaseGauges(status: { role: string; fencingToken?: number }): Gauge[] {
  return [
    { name: 'ledger_projection_lease_held', help: '1 while this process holds the projection lease and keeps the projections.', samples: [{ value: status.role === 'holder' ? 1 : 0 }] },
    {
      name: 'ledger_projection_fencing_token',
      help: 'Fencing token of the projection lease this process holds (NaN when it holds none).',
      samples: [{ value: status.fencingToken ?? null }],
    },
  ];
}

function exposition(list: Gauge[]): string {
  const lines: string[] = [];
  for (const g of list) {
    lines.push(`# HELP ${g.name} ${g.help}`, `# TYPE ${g.name} gauge`);
    for (const s of g.samples) {
      const labels = s.labels ? `{${Object.entries(s.labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}` : '';
      lines.push(`${g.name}${labels} ${s.value === null ? 'NaN' : String(s.value)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

const escapeLabel = (value: string) => value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
