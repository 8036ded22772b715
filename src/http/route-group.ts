import type { FastifyPluginAsync, RawServerDefault } from 'fastify';
import type { LedgerServices } from '../app/services.ts';
import type { SchemaTypeProvider } from './schema.ts';

/** The routes of a group, typed by their schemas, given the services the group names. */
export type RoutePlugin<K extends keyof LedgerServices = keyof LedgerServices> = FastifyPluginAsync<
  { services: Pick<LedgerServices, K> },
  RawServerDefault,
  SchemaTypeProvider
>;

/** A group of routes for one audience, with the services it uses: it is given those and nothing else. */
export interface RouteGroup<K extends keyof LedgerServices = keyof LedgerServices> {
  readonly uses: readonly K[];
  readonly routes: RoutePlugin<K>;
}

/** Declares a route group and the services its routes use. */
export function routeGroup<const K extends keyof LedgerServices>(uses: readonly K[], routes: RoutePlugin<K>): RouteGroup<K> {
  return { uses, routes };
}

/** Only the named services (a member left out of the bag, such as the outbox outside the simulator, stays out). */
export function pickServices<K extends keyof LedgerServices>(services: LedgerServices, keys: readonly K[]): Pick<LedgerServices, K> {
  const picked: Partial<Pick<LedgerServices, K>> = {};
  for (const key of keys) if (key in services) picked[key] = services[key];
  return picked as Pick<LedgerServices, K>;
}
