import cookie from '@fastify/cookie';
import { DomainError } from '../../../../commands/errors.ts';
import { IdentityProviderUnavailable, type CallbackParameters } from '../../../ports/identity-provider.ts';
import { routeGroup } from '../../route-group.ts';
import { domainProblem } from '../../problems.ts';
import { TransactionCookie } from './transaction-cookie.ts';
import { AUTHORIZE_CALLBACK_PATH } from '../../../paths.ts';
import { citizenProblemOf, sendErrorPage } from '../../error-page.ts';
import type { CitizenProblem } from '../../error-page-messages.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PROVIDER_STATE = /^[\x21-\x7e]{1,512}$/;
// Each start writes an event: a browser never needs many, so per-IP limits keep the act streams clean.
const RATE_LIMIT = { rateLimit: { max: 120, timeWindow: '1 minute' } };

/** How the OpenAPI shows a refusal of this browser route: an HTML page for the citizen, with the problem's name in words. */
function refusalPageResponse(description: string) {
  return {
    description: `${description}. An HTML page for the citizen, never a redirect to the e-service.`,
    content: { 'text/html': { schema: { type: 'string' }, example: '<!doctype html><html lang="en"><head><title>No such act</title></head><body><h1>No such act</h1><p>no such act</p></body></html>' } },
  } as const;
}

/** A browser route's refusal: rendered as an HTML page with this status, never as a redirect. */
class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly problem: CitizenProblem,
    message: string,
  ) {
    super(message);
  }
}

/** The domain's refusals as this route's citizen reads them (a conflict here is a replayed callback). */
const DOMAIN_PAGES: Partial<Record<string, CitizenProblem>> = { 'not-found': 'act-unknown', conflict: 'sign-in-used', 'invalid-request': 'sign-in-unknown' };

/**
 * The authorization SeP in the citizen's browser: `GET /authorize/{actId}` sends the citizen to the
 * identity provider, the callback brings them back to the e-service's registered return URL.
 */
export const authorizeRoutes = routeGroup(['authorization', 'keys', 'config', 'clock'], async (app, { services }) => {
  if (!app.hasRequestDecorator('cookies')) await app.register(cookie);
  const cookies = new TransactionCookie(services.keys.secrets.cookieKey, services.config.publicUrl.startsWith('https:'), services.clock);

  app.setErrorHandler((error, request, reply) => {
    // The technical reason goes to the log, where the request id on the page finds it.
    if (error instanceof Refusal) {
      request.log.info({ problem: error.problem, detail: error.message }, 'authorization refused');
      return sendErrorPage(request, reply, error.status, error.problem);
    }
    if ((error as { validation?: unknown }).validation) return sendErrorPage(request, reply, 400, 'request-incomplete');
    if ((error as { statusCode?: number }).statusCode === 429) return sendErrorPage(request, reply, 429, 'too-many');
    if (error instanceof DomainError) {
      // The same status the API would answer, as a page.
      const problem = domainProblem(error);
      if (problem.retryAfterSeconds !== undefined) reply.header('retry-after', String(problem.retryAfterSeconds));
      request.log.info({ problem: problem.name, detail: error.message }, 'authorization refused');
      return sendErrorPage(request, reply, problem.status, DOMAIN_PAGES[error.code] ?? citizenProblemOf(problem.name, problem.status));
    }
    if (error instanceof IdentityProviderUnavailable) {
      request.log.warn({ err: error }, 'identity provider unavailable');
      return sendErrorPage(request, reply, 503, 'identity-unavailable');
    }
    request.log.error({ err: error }, 'authorization by authentication failed');
    return sendErrorPage(request, reply, 500, 'internal');
  });

  app.get(
    '/authorize/:actId',
    {
      config: RATE_LIMIT,
      schema: {
        tags: ['citizen'],
        operationId: 'authorizeByAuthentication',
        security: [],
        summary: 'Authorize an act by authentication (open in the citizen\'s browser)',
        description:
          'Sends the citizen to authenticate again (ForceAuth, no attributes released; the international gateway for a foreign SePP), ' +
          'then back with a 303 to `redirect_uri?act_id=…&state=…`; ask `GET /api/v1/acts/{actId}` for the result. `redirect_uri` must ' +
          'equal one of the e-service\'s registered return URLs exactly. Refusals are HTML pages, never redirects: 400 (redirect_uri ' +
          'not registered, state missing), 404 (unknown act), 409 (act not pending).',
        params: { type: 'object', required: ['actId'], properties: { actId: { type: 'string' } } },
        querystring: {
          type: 'object',
          properties: {
            redirect_uri: { type: 'string', description: 'One of the e-service\'s registered return URLs, exactly' },
            state: { type: 'string', description: '1-512 visible ASCII characters, echoed back unchanged' },
          },
        },
        response: {
          303: { description: 'To the identity provider', type: 'null' },
          400: refusalPageResponse('`redirect_uri` missing or not one of the e-service\'s registered return URLs (`redirect-uri-not-registered`), or `state` missing or malformed'),
          403: refusalPageResponse('The e-service that registered the act is suspended (`provider-suspended`)'),
          404: refusalPageResponse('No such act (`not-found`)'),
          409: refusalPageResponse('The act is no longer pending (`act-not-pending`), or another start changed it at the same moment (`conflict`)'),
          429: refusalPageResponse('Too many starts from this address in a minute (`rate-limited`)'),
          500: refusalPageResponse('The national point could not complete this step (`internal`)'),
          503: refusalPageResponse('The identity provider could not be reached, or the ledger is overloaded (`overloaded`)'),
        },
      },
    },
    async (request, reply) => {
      const { actId } = request.params;
      if (!UUID.test(actId)) throw new Refusal(404, 'act-unknown', 'no such act');
      const { redirect_uri: redirectUri, state } = request.query;
      if (typeof redirectUri !== 'string' || redirectUri.length === 0) throw new Refusal(400, 'request-incomplete', 'redirect_uri is required');
      if (typeof state !== 'string' || !PROVIDER_STATE.test(state)) throw new Refusal(400, 'request-incomplete', 'state is required: 1-512 visible ASCII characters');

      const { redirectUrl, transaction } = await services.authorization.start(actId, redirectUri, state, request.id);
      const sealed = await cookies.seal(transaction);
      reply.setCookie(sealed.name, sealed.value, sealed.options);
      reply.header('cache-control', 'no-store');
      return reply.redirect(redirectUrl, 303);
    },
  );

  app.get(AUTHORIZE_CALLBACK_PATH, { config: RATE_LIMIT, schema: { hide: true } }, async (request, reply) => {
    const params = callbackParameters(request.query);
    const name = cookies.nameFor(params.state);
    const transaction = name ? await cookies.open(request.cookies[name], params.state!) : undefined;
    if (!name || !transaction) {
      throw new Refusal(400, 'sign-in-unknown', 'no transaction cookie for this state');
    }
    reply.clearCookie(name, cookies.clearing());
    reply.header('cache-control', 'no-store');
    const finished = await services.authorization.finish(transaction, params, request.id);
    request.log.info({ actId: finished.actId, status: finished.status, note: finished.note }, 'authorization by authentication returned');
    return reply.redirect(finished.redirectTo, 303);
  });
});

/** Query parameters as single strings; a repeated parameter makes the callback invalid. */
function callbackParameters(query: unknown): CallbackParameters {
  const params: CallbackParameters = {};
  for (const [name, value] of Object.entries(query ?? {})) {
    if (typeof value !== 'string') throw new Refusal(400, 'sign-in-unknown', `parameter ${name} is repeated`);
    params[name] = value;
  }
  return params;
}
