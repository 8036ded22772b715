import { readFileSync } from 'node:fs';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { docsPageOptions } from './docs-page.ts';
import { randomUUID } from 'node:crypto';
import type { LedgerServices } from '../app/services.ts';
import { registerProblemHandling } from './problems.ts';
import { documentCommonProblems, problemSchema } from './problem-docs.ts';
import { healthRoutes } from './routes/health.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { tokenRoutes } from './routes/provider/token.ts';
import { adminProviderRoutes } from './routes/admin/providers.ts';
import { providerProfileRoutes } from './routes/provider/profile.ts';
import { actRoutes } from './routes/provider/acts.ts';
import { adminCitizenRoutes } from './routes/admin/citizens.ts';
import { simulatorPhoneRoutes } from './routes/simulator/phone.ts';
import { authorizeRoutes } from './routes/citizen/authorize.ts';
import { simulatorIdentityRoutes } from './routes/simulator/identity.ts';
import { adminRetentionRoutes } from './routes/admin/retention.ts';
import { adminAdminRoutes } from './routes/admin/admins.ts';
import { adminChangeRoutes } from './routes/admin/changes.ts';
import { adminOnboardingRoutes } from './routes/admin/onboarding.ts';
import { adminOnboardingOverviewRoutes } from './routes/admin/onboarding-overview.ts';
import { adminPageRoutes } from './routes/admin/admin-page.ts';
import { adminRecordTransferRoutes } from './routes/admin/record-transfer.ts';
import { providerFailedAuthorizationRoutes } from './routes/provider/failed-authorizations.ts';
import { publicVerificationRoutes } from './routes/public/verifications.ts';
import { verifyPageRoutes } from './routes/public/verify-page.ts';
import { receiptVerificationRoutes } from './routes/public/receipt-verifications.ts';
import { assetRoutes } from './routes/public/assets.ts';
import { infoPageRoutes } from './routes/public/info-pages.ts';
import { portalRoutes } from './routes/citizen/portal.ts';
import { portalFailedAttemptRoutes } from './routes/citizen/portal-failed-attempt-routes.ts';
import { auditEventRoutes } from './routes/audit/events.ts';
import { auditProofRoutes } from './routes/audit/proofs.ts';
import { transparencyLogRoutes } from './routes/audit/transparency-log.ts';
import { openApiInfo, openApiRoute, withoutUnusedExamples } from './openapi-info.ts';
import { strictBodyValidator } from './validation.ts';
import { registerJsonBodyParser } from './json-body.ts';
import { clientErrorHandler, frameworkErrors, hostHeaderCount, isBrowserPath, refuseRequest } from './request-framing.ts';
import { adminConformanceRoutes, providerConformanceRoutes } from './routes/provider/conformance.ts';
import { pickServices, type RouteGroup } from './route-group.ts';
import { refuseWhenOverloaded } from './overload.ts';
import { limitEachProvider } from './provider-rate-limit.ts';

/** The ledger's route groups, in the order they are registered. */
export const routeGroups: RouteGroup[] = [
  healthRoutes,
  metricsRoutes,
  tokenRoutes,
  providerProfileRoutes,
  actRoutes,
  adminProviderRoutes,
  adminCitizenRoutes,
  simulatorPhoneRoutes,
  authorizeRoutes,
  simulatorIdentityRoutes,
  adminRetentionRoutes,
  adminAdminRoutes,
  adminChangeRoutes,
  adminOnboardingRoutes,
  adminOnboardingOverviewRoutes,
  adminRecordTransferRoutes,
  providerFailedAuthorizationRoutes,
  providerConformanceRoutes,
  adminConformanceRoutes,
  auditEventRoutes,
  auditProofRoutes,
  transparencyLogRoutes,
  publicVerificationRoutes,
  receiptVerificationRoutes,
  verifyPageRoutes,
  assetRoutes,
  infoPageRoutes,
  portalRoutes,
  portalFailedAttemptRoutes,
  adminPageRoutes,
];

/**
 * Plain HTTP, or HTTPS with the ledger's own certificate (LEDGER_TLS_*). With a client CA the server
 * asks every client for a certificate but lets those without one in: citizens' browsers have none,
 * and provider routes refuse them by themselves (auth.ts); the handshake only marks a certificate the
 * CA issued as verified (`socket.authorized`).
 */
function serverOptions(config: LedgerServices['config']): { http: object } | { https: object } {
  // Node enforces the request and header timeouts on this interval; its default (30 s) would let a
  // stalled request outlive them by that much.
  const timeouts = { headersTimeout: config.httpTimeouts.headersMs, connectionsCheckingInterval: 1000 };
  if (!config.tls) return { http: timeouts };
  const { certFile, keyFile, clientCaFile } = config.tls;
  const clientCertificates = clientCaFile ? { ca: readFileSync(clientCaFile), requestCert: true, rejectUnauthorized: false } : {};
  return { https: { ...timeouts, cert: readFileSync(certFile), key: readFileSync(keyFile), minVersion: 'TLSv1.2', ...clientCertificates } };
}

/**
 * The HTTP edge: external plugins, then problem handling, then every audience's routes.
 * Takes all it needs as arguments; holds no globals.
 */
export async function buildHttpApp(services: LedgerServices, extraRoutes: RouteGroup[] = []): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: services.logger as FastifyBaseLogger,
    // One line per request, written when it completes (below), instead of fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: services.config.bodyLimit,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID();
    },
    requestIdHeader: false,
    schemaController: { compilersFactory: { buildValidator: strictBodyValidator() } },
    trustProxy: false,
    return503OnClosing: true,
    // A client that stops half-way (slowloris) is cut off: silent sockets, slow headers, slow bodies.
    connectionTimeout: services.config.httpTimeouts.idleMs,
    requestTimeout: services.config.httpTimeouts.requestMs,
    ...serverOptions(services.config),
    // Ids are 36 characters, provider ids at most 100: longer segments still reach the routes (to be
    // refused there, after authentication); past this the router refuses them itself.
    routerOptions: { maxParamLength: 500 },
    frameworkErrors,
    clientErrorHandler,
  });
  app.addHook('onRequest', (request, reply, done) => {
    if (hostHeaderCount(request.raw.rawHeaders) > 1) return void refuseRequest(request, reply, 'invalid-request', 'a request carries one Host header');
    done();
  });
  // Callback-style hooks: an async hook costs a promise and a microtask turn on every request.
  app.addHook('onResponse', (request, reply, done) => {
    // The path only: query strings carry state, redirect URIs and other values that are not the log's business.
    request.log.info({ method: request.method, path: request.url.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 }, 'request');
    // The route's pattern, never the URL: one series per route, whatever ids and queries arrive.
    services.metrics.requestAnswered({ route: request.routeOptions.url ?? 'unmatched', method: request.method, statusCode: reply.statusCode, seconds: reply.elapsedTime / 1000 });
    done();
  });
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.headers({ 'x-request-id': request.id, 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' });
    done(null, payload);
  });

  // Bodies are JSON (form-encoded on the token route and the browser forms, multipart on the upload):
  // any other type answers 415 instead of reaching a handler as a string.
  app.removeContentTypeParser('text/plain');
  registerJsonBodyParser(app);
  app.addSchema(problemSchema);
  await app.register(swagger, { openapi: openApiInfo(), transform: openApiRoute, transformObject: withoutUnusedExamples, refResolver: { buildLocalReference: (json, _base, _frag, i) => String(json.$id ?? `def-${i}`) } });
  await app.register(swaggerUi, docsPageOptions);
  const allowList = services.config.rateLimitAllowList;
  await refuseWhenOverloaded(app, services.config.overload);
  await app.register(rateLimit, { global: false, ...(allowList?.length ? { allowList } : {}) });
  limitEachProvider(app, { perMinute: services.config.providerRateLimitPerMinute, ...(allowList ? { allowList } : {}) });
  registerProblemHandling(app, refuseRequest);
  documentCommonProblems(app, isBrowserPath);

  for (const group of [...routeGroups, ...extraRoutes]) await app.register(group.routes, { services: pickServices(services, group.uses) });
  return app;
}
