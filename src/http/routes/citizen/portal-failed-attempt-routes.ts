import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { FAILURE_REASONS } from '../../../../events/act.ts';
import { DomainError } from '../../../../commands/errors.ts';
import { routeGroup } from '../../route-group.ts';
import { pageLanguage, sendFramedPage } from '../../page-frame.ts';
import { HttpProblem } from '../../problems.ts';
import { problemResponses } from '../../problem-docs.ts';
import { stringEnum } from '../../schema.ts';
import { memberOf } from '../../loose-input.ts';
import { PortalSessionCookie } from './portal-session-cookie.ts';
import { attemptAnchor, reportRefusedPage, type ReportRefusal } from './portal-failed-attempts.ts';
import { PORTAL_PATH } from '../../../paths.ts';

const FAILED_ATTEMPTS_PATH = '/api/v1/citizen/failed-attempts';
const ACT_ID = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
/** The header a script sends the session's form token in (the portal's own form sends it as a field). */
const FORM_TOKEN_HEADER = 'x-portal-form-token';
// A person reports a handful of attempts at most.
const RATE_LIMIT = { rateLimit: { max: 30, timeWindow: '1 minute' } };

const actIdParams = { type: 'object', required: ['actId'], properties: { actId: { type: 'string', pattern: ACT_ID } }, additionalProperties: false } as const;

const reportSchema = {
  type: 'object',
  required: ['actId', 'reportedAt', 'alreadyReported'],
  properties: {
    actId: { type: 'string', format: 'uuid' },
    reportedAt: { type: 'string', format: 'date-time', description: 'When the report was recorded (the first one, for a repeated report)' },
    alreadyReported: { type: 'boolean', description: 'true: this act had been reported before; nothing more was recorded' },
  },
} as const;

/**
 * The portal's failed attempts in the signed-in person's name and their "this was not me" report:
 * JSON for scripts, and the page's own form, which answers with a 303 back to the attempt. A report
 * needs the session cookie (SameSite=Lax, as for signing out) and, since it records something, the
 * session's form token as well: a page of another site cannot read it, so it cannot post one.
 */
export const portalFailedAttemptRoutes = routeGroup(['config', 'portalSessions', 'failedAttempts'], async (app, { services }) => {
  if (!app.hasRequestDecorator('cookies')) await app.register(cookie);
  const sessionCookie = new PortalSessionCookie(services.config.publicUrl.startsWith('https:'));
  const sessions = services.portalSessions;
  const tokenOf = (request: FastifyRequest) => sessionCookie.tokenOf(request.cookies);
  const unauthorized = () => new HttpProblem('unauthorized', 'sign in at /portal first', {}, { 'www-authenticate': 'Cookie realm="portal"' });

  app.get(
    FAILED_ATTEMPTS_PATH,
    {
      schema: {
        tags: ['citizen'],
        operationId: 'listCitizenFailedAttempts',
        summary: 'Failed attempts to authorize acts in the signed-in citizen\'s name, newest first, while retained',
        security: [{ portalSession: [] }],
        description:
          'Needs the portal session cookie set by signing in at /portal. Each act registered for this citizen that failed, with the ' +
          'e-service and the reason, until the retention purge erases it. `formToken` is what a report must carry in the ' +
          `\`${FORM_TOKEN_HEADER}\` header. 401 without a valid session.`,
        response: {
          200: {
            type: 'object',
            required: ['failedAttempts', 'formToken'],
            properties: {
              failedAttempts: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['actId', 'providerName', 'actName', 'reason', 'failedAt', 'retainedUntil', 'reportedAt'],
                  properties: {
                    actId: { type: 'string', format: 'uuid' },
                    providerName: { type: 'string' },
                    actName: { type: 'string' },
                    reason: stringEnum(FAILURE_REASONS),
                    failedAt: { type: 'string', format: 'date-time' },
                    retainedUntil: { type: 'string', format: 'date-time', description: 'After this the purge erases it (at its next run)' },
                    reportedAt: { type: ['string', 'null'], format: 'date-time', description: 'When the citizen reported it as not theirs; null: not reported' },
                  },
                },
              },
              formToken: { type: 'string', description: `The session's form token, for the \`${FORM_TOKEN_HEADER}\` header of a report` },
            },
          },
          ...problemResponses('unauthorized'),
        },
      },
    },
    async (request, reply) => {
      const session = await sessions.sessionOf(tokenOf(request));
      if (!session) throw unauthorized();
      reply.header('cache-control', 'no-store');
      return { failedAttempts: await services.failedAttempts.of(session.aifo), formToken: session.formToken };
    },
  );

  app.post(
    `${FAILED_ATTEMPTS_PATH}/:actId/reports`,
    {
      config: RATE_LIMIT,
      schema: {
        tags: ['citizen'],
        operationId: 'reportCitizenFailedAttempt',
        summary: 'Report a failed attempt in the signed-in citizen\'s name as not theirs ("this was not me")',
        security: [{ portalSession: [] }],
        description:
          `Needs the portal session cookie and the session's form token in \`${FORM_TOKEN_HEADER}\` (from the list). Records ` +
          'AuthorizationDisputed in the act\'s stream; admins see it as `reportedAt` in GET /api/v1/admin/failed-authorizations. ' +
          'Once per act: a repeated report answers 200 with the first one\'s time. 404 for an act that is not this citizen\'s or ' +
          'is no longer retained; 409 `act-not-failed` for an act that did not fail.',
        params: actIdParams,
        response: { 200: reportSchema, 201: reportSchema, ...problemResponses('unauthorized', 'forbidden', 'not-found', 'act-not-failed', 'concurrency-conflict') },
      },
    },
    async (request, reply) => {
      const token = tokenOf(request);
      if (!(await sessions.sessionOf(token))) throw unauthorized();
      const aifo = await sessions.citizenOfForm(token, headerValue(request.headers[FORM_TOKEN_HEADER]));
      if (!aifo) throw new HttpProblem('forbidden', `the ${FORM_TOKEN_HEADER} header must carry this session's form token`);
      const report = await services.failedAttempts.report(aifo, request.params.actId);
      reply.code(report.alreadyReported ? 200 : 201).header('cache-control', 'no-store');
      return report;
    },
  );

  // The page's own form is form-encoded; only its route takes such a body (the JSON routes answer 415 to one).
  await app.register(async (forms) => {
    await forms.register(formbody, { bodyLimit: services.config.bodyLimit });
    forms.post(`${PORTAL_PATH}/failed-attempts/:actId/report`, { config: RATE_LIMIT, schema: { hide: true } }, async (request, reply) => {
      const lang = pageLanguage(request);
      const actId = (request.params as { actId: string }).actId;
      const refused = (status: number, refusal: ReportRefusal) => {
        request.log.info({ refusal }, 'portal report refused');
        return sendFramedPage(request, reply.header('cache-control', 'no-store'), status, { lang, ...reportRefusedPage(lang, refusal, request.id) });
      };
      const token = tokenOf(request);
      if (!(await sessions.sessionOf(token))) return refused(401, 'signed-out');
      const formToken = memberOf(request.body, 'formToken');
      const aifo = await sessions.citizenOfForm(token, typeof formToken === 'string' ? formToken : undefined);
      if (!aifo) return refused(403, 'form-expired');
      if (!new RegExp(ACT_ID).test(actId)) return refused(404, 'not-found');
      try {
        await services.failedAttempts.report(aifo, actId);
      } catch (error) {
        if (error instanceof DomainError && error.code === 'not-found') return refused(404, 'not-found');
        if (error instanceof DomainError && error.code === 'act-not-failed') return refused(409, 'not-failed');
        throw error;
      }
      // Back to the attempt, which now shows the answer (the report waited for the read model).
      return redirectToAttempt(reply, lang, actId);
    });
  });
});

function redirectToAttempt(reply: FastifyReply, lang: string, actId: string): FastifyReply {
  return reply.header('cache-control', 'no-store').redirect(`${PORTAL_PATH}?lang=${lang}#${attemptAnchor(actId)}`, 303);
}

/** The one value of a header; a repeated one counts as none. */
function headerValue(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
