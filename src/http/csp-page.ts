import type { FastifyReply } from 'fastify';

/**
 * Pages that run the ledger's own scripts (verify, portal) load everything from the ledger and
 * nothing inline: a script injected into their HTML would not run.
 */
export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "worker-src 'self'",
  "connect-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The simulated identity node's page: the same, but its form may lead anywhere, since its answer
 * travels on through the ledger's callback to the e-service's return URL, and browsers hold every
 * redirect after a form's submission to `form-action`.
 */
export const IDENTITY_NODE_CSP = PAGE_CSP.split('; ').filter((d) => !d.startsWith('form-action')).join('; ');

export type Lang = 'cs' | 'en';

/** Sends a page with the CSP above; never cached, since it may carry a verdict or a citizen's log. */
export function sendPage(reply: FastifyReply, status: number, html: string, csp: string = PAGE_CSP): FastifyReply {
  return reply
    .code(status)
    .header('content-security-policy', csp)
    .header('cache-control', 'no-store')
    .type('text/html; charset=utf-8')
    .send(html);
}
