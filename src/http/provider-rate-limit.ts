import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { HttpProblem } from './problems.ts';
import { documentProblems } from './problem-docs.ts';

/** The provider API whose calls count against each provider's limit (the token endpoint has its own, per client). */
const PROVIDER_API = ['/api/v1/acts', '/api/v1/provider', '/api/v1/failed-authorizations'];

const underProviderApi = (url: string) => PROVIDER_API.some((prefix) => url === prefix || url.startsWith(`${prefix}/`));

type PreParsing = (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (error?: Error | null, payload?: unknown) => void) => void;

/**
 * Each provider may call the provider API `perMinute` times a minute, whatever address it calls
 * from: the limit is keyed by the provider of the verified access token. It counts in preParsing,
 * after every onRequest hook (authentication included, at any level) and before the body is read;
 * past it a call answers 429 problem+json with Retry-After. Client addresses in `allowList` (a
 * gateway that limits on its own, the bench) are exempt, as from the per-client limits. Must be
 * called before the provider routes are registered. The count is per process: behind a load
 * balancer each `serve` process allows its own `perMinute`.
 */
export function limitEachProvider(app: FastifyInstance, options: { perMinute: number; allowList?: readonly string[] }): void {
  const allowed = new Set(options.allowList ?? []);
  const count = app.createRateLimit({
    max: options.perMinute,
    timeWindow: 60_000,
    // The guard set providerId in onRequest; a request without one never got this far.
    keyGenerator: (request) => `provider:${request.providerId ?? `unauthenticated:${request.ip}`}`,
    allowList: (request) => allowed.has(request.ip),
  });
  const limit: PreParsing = (request, reply, payload, done) => {
    count(request).then((outcome) => {
      if (outcome.isAllowed) return done(null, payload);
      reply.header('x-ratelimit-limit', outcome.max).header('x-ratelimit-remaining', outcome.remaining).header('x-ratelimit-reset', outcome.ttlInSeconds);
      if (!outcome.isExceeded) return done(null, payload);
      done(new HttpProblem('rate-limited', `this provider may make ${outcome.max} calls a minute; retry after the Retry-After delay`, {}, { 'retry-after': String(outcome.ttlInSeconds) }));
    }, done);
  };
  app.addHook('onRoute', (route: RouteOptions) => {
    if (!underProviderApi(route.url)) return;
    const existing = route.preParsing === undefined ? [] : Array.isArray(route.preParsing) ? route.preParsing : [route.preParsing];
    route.preParsing = [...existing, limit] as RouteOptions['preParsing'];
    documentProblems(route, ['rate-limited']);
  });
}
