import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AUTHORIZATION_METHODS } from '../../../../events/act.ts';
import { CUL_LOG_TYPE } from '../../../../projections/cul.ts';
import type { PortalTransaction } from '../../../app/citizens/portal-login.ts';
import { IdentityProviderUnavailable, type CallbackParameters } from '../../../ports/identity-provider.ts';
import { routeGroup } from '../../route-group.ts';
import type { Lang } from '../../csp-page.ts';
import { pageLanguage, sendFramedPage } from '../../page-frame.ts';
import { HttpProblem } from '../../problems.ts';
import { problemResponses } from '../../problem-docs.ts';
import { stringEnum } from '../../schema.ts';
import { logPage, refusedPage, signInPage, type PortalRefusal } from './portal-page.ts';
import { failedAttemptsSection } from './portal-failed-attempts.ts';
import { PortalSessionCookie } from './portal-session-cookie.ts';
import { TransactionCookie } from './transaction-cookie.ts';
import { PORTAL_PATH, PORTAL_CALLBACK_PATH, CITIZEN_LOG_PATH } from '../../../paths.ts';

/** The portal's sign-in transaction, with the language to come back to. */
type PortalCookieTransaction = PortalTransaction & { lang: Lang };

// Each sign-in is a round trip to the identity provider; a person needs few.
const RATE_LIMIT = { rateLimit: { max: 60, timeWindow: '1 minute' } };

/**
 * The citizen portal (SPEC section 2, step 8): sign in through the identity provider, then see
 * one's own CUL entries, newest first, as a page at /portal or as JSON at /api/v1/citizen/log.
 */
export const portalRoutes = routeGroup(['config', 'keys', 'clock', 'portalLogin', 'portalSessions', 'citizenLog', 'failedAttempts'], async (app, { services }) => {
  if (!app.hasRequestDecorator('cookies')) await app.register(cookie);
  // Sign-out is an HTML form.
  await app.register(formbody, { bodyLimit: services.config.bodyLimit });
  const secure = services.config.publicUrl.startsWith('https:');
  const sessions = services.portalSessions;
  const sessionCookie = new PortalSessionCookie(secure);
  const transactions = new TransactionCookie<PortalCookieTransaction>(services.keys.secrets.cookieKey, secure, services.clock, {
    path: PORTAL_PATH,
    prefix: 'ledger_portal_tx_',
    purpose: 'act-ledger/portal-transaction',
  });
  const citizenOf = (request: FastifyRequest) => sessions.citizenOf(sessionCookie.tokenOf(request.cookies));

  app.get(PORTAL_PATH, { schema: { hide: true } }, async (request, reply) => {
    const lang = pageLanguage(request);
    const session = await sessions.sessionOf(sessionCookie.tokenOf(request.cookies));
    if (!session) return sendFramedPage(request, reply, 200, { lang, ...signInPage(lang) });
    const [entries, attempts] = await Promise.all([services.citizenLog.entries(session.aifo), services.failedAttempts.of(session.aifo)]);
    const sections = [failedAttemptsSection(lang, attempts, session.formToken)];
    return sendFramedPage(request, reply, 200, { lang, ...logPage(lang, entries, { endsAt: new Date(session.expiresAt).toISOString() }, sections) });
  });

  app.get(`${PORTAL_PATH}/login`, { config: RATE_LIMIT, schema: { hide: true } }, async (request, reply) => {
    const lang = pageLanguage(request);
    let started;
    try {
      started = await services.portalLogin.start();
    } catch (error) {
      return unavailable(request, reply, lang, error);
    }
    const sealed = await transactions.seal({ ...started.transaction, lang });
    reply.setCookie(sealed.name, sealed.value, sealed.options).header('cache-control', 'no-store');
    return reply.redirect(started.redirectUrl, 303);
  });

  app.get(PORTAL_CALLBACK_PATH, { config: RATE_LIMIT, schema: { hide: true } }, async (request, reply) => {
    const params = singleValued(request.query);
    const name = params ? transactions.nameFor(params.state) : undefined;
    const transaction = name && params ? await transactions.open(request.cookies[name], params.state!) : undefined;
    if (!name || !params || !transaction) return refused(request, reply, 400, pageLanguage(request), 'not-started');
    reply.clearCookie(name, transactions.clearing());
    let result;
    try {
      result = await services.portalLogin.finish(transaction, params);
    } catch (error) {
      return unavailable(request, reply, transaction.lang, error);
    }
    if (result.outcome !== 'signed-in') {
      request.log.info({ outcome: result.outcome, reason: result.reason }, 'portal sign-in refused');
      return refused(request, reply, result.outcome === 'cancelled' ? 200 : 400, transaction.lang, result.outcome);
    }
    const token = await sessions.issue(result.aifo);
    reply.setCookie(sessionCookie.name, token, sessionCookie.setting(sessions.ttlMs)).header('cache-control', 'no-store');
    return reply.redirect(`${PORTAL_PATH}?lang=${transaction.lang}`, 303);
  });

  app.post(`${PORTAL_PATH}/logout`, { schema: { hide: true } }, async (request, reply) => {
    await sessions.signOut(sessionCookie.tokenOf(request.cookies));
    reply.clearCookie(sessionCookie.name, sessionCookie.clearing()).header('cache-control', 'no-store');
    return reply.redirect(`${PORTAL_PATH}?lang=${pageLanguage(request)}`, 303);
  });

  app.get(
    CITIZEN_LOG_PATH,
    {
      schema: {
        tags: ['citizen'],
        operationId: 'getCitizenLog',
        summary: 'The signed-in citizen\'s log entries (CUL), newest first',
        security: [{ portalSession: [] }],
        description:
          'Needs the portal session cookie set by signing in at /portal. One entry of log type `digital-act-authorization` ' +
          'per act the citizen authorized. 401 without a valid session.',
        response: {
          200: {
            type: 'object',
            required: ['entries'],
            properties: {
              entries: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['logType', 'actId', 'providerName', 'actName', 'description', 'documentHash', 'method', 'occurredAt'],
                  properties: {
                    logType: stringEnum([CUL_LOG_TYPE]),
                    actId: { type: 'string' },
                    providerName: { type: 'string' },
                    actName: { type: 'string' },
                    description: { type: 'string' },
                    documentHash: { type: 'string' },
                    method: stringEnum(AUTHORIZATION_METHODS),
                    occurredAt: { type: 'string', format: 'date-time' },
                  },
                },
              },
            },
          },
          ...problemResponses('unauthorized'),
        },
      },
    },
    async (request, reply) => {
      const aifo = await citizenOf(request);
      if (!aifo) throw new HttpProblem('unauthorized', 'sign in at /portal first', {}, { 'www-authenticate': 'Cookie realm="portal"' });
      reply.header('cache-control', 'no-store');
      return { entries: await services.citizenLog.entries(aifo) };
    },
  );
});

function unavailable(request: FastifyRequest, reply: FastifyReply, lang: Lang, error: unknown): FastifyReply {
  if (!(error instanceof IdentityProviderUnavailable)) throw error;
  request.log.warn({ err: error }, 'identity provider unavailable for portal sign-in');
  return refused(request, reply, 503, lang, 'unavailable');
}

function refused(request: FastifyRequest, reply: FastifyReply, status: number, lang: Lang, refusal: PortalRefusal): FastifyReply {
  return sendFramedPage(request, reply, status, { lang, ...refusedPage(lang, refusal, request.id) });
}

/** Query parameters as single strings; undefined when one is repeated. */
function singleValued(query: unknown): CallbackParameters | undefined {
  const params: CallbackParameters = {};
  for (const [name, value] of Object.entries(query ?? {})) {
    if (typeof value !== 'string') return undefined;
    params[name] = value;
  }
  return params;
}
