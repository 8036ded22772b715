import type { FastifyReply, FastifyRequest } from 'fastify';
import { escapeHtml } from './html.ts';
import { pageLanguage, sendFramedPage } from './page-frame.ts';
import { errorPageMessages, type CitizenProblem } from './error-page-messages.ts';
import type { ProblemName } from './problems.ts';

/** The citizen's reading of an API problem, for a browser route that refuses with a page. */
const FROM_PROBLEM: Partial<Record<ProblemName, CitizenProblem>> = {
  'not-found': 'page-not-found',
  'redirect-uri-not-registered': 'return-address-unregistered',
  'provider-suspended': 'e-service-suspended',
  'act-not-pending': 'act-not-pending',
  'rate-limited': 'too-many',
  'invalid-request': 'request-invalid',
  'uri-too-long': 'request-invalid',
  'headers-too-large': 'request-invalid',
  'payload-too-large': 'request-invalid',
  'unsupported-media-type': 'request-invalid',
};

export function citizenProblemOf(name: ProblemName, status: number): CitizenProblem {
  return FROM_PROBLEM[name] ?? (status >= 500 ? 'internal' : 'request-invalid');
}

/**
 * A browser route's refusal: a framed page with this status (never a redirect), in the citizen's
 * language, saying what happened and what to do, with the request id for support.
 */
export function sendErrorPage(request: FastifyRequest, reply: FastifyReply, status: number, problem: CitizenProblem): FastifyReply {
  const lang = pageLanguage(request);
  const [title, what, next] = errorPageMessages[lang][problem];
  const body = `<h1>${escapeHtml(title)}</h1>
<div class="error-page" data-problem="${problem}">
<p>${escapeHtml(what)}</p>
<p>${escapeHtml(next)}</p>
</div>`;
  return sendFramedPage(request, reply, status, { lang, title, body, requestId: request.id });
}
