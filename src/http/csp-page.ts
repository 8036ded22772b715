import type { FastifyReply } from 'fastify';
import { escapeHtml } from './html.ts';
import { memberOf } from './loose-input.ts';

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

/** `?lang=cs|en`; Czech unless English is asked for. */
export function langOf(query: unknown): Lang {
  return memberOf(query, 'lang') === 'en' ? 'en' : 'cs';
}

export interface ShellOptions {
  lang: Lang;
  title: string;
  /** Already escaped HTML. */
  body: string;
  /** Module scripts under /assets. */
  scripts?: string[];
  /** Data for the scripts, placed as a JSON block (not executed, so the CSP does not apply to it). */
  data?: unknown;
}

/** A plain page with the ledger's stylesheet, a skip link and a main landmark (the admins' page; citizen pages use page-frame.ts). */
export function shell({ lang, title, body, scripts = [], data }: ShellOptions): string {
  const skip = lang === 'cs' ? 'Přejít na obsah' : 'Skip to content';
  // `<` escaped so the JSON cannot close its script element.
  const json = data === undefined ? '' : `<script type="application/json" id="page-data">${JSON.stringify(data).replace(/</g, '\\u003c')}</script>\n`;
  return `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="/assets/ledger.css">
<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
${json}${scripts.map((s) => `<script type="module" src="${escapeHtml(s)}"></script>`).join('\n')}
</head>
<body>
<a class="skip" href="#main">${skip}</a>
<main id="main">
${body}
</main>
</body>
</html>`;
}

/** Sends a page with the CSP above; never cached, since it may carry a verdict or a citizen's log. */
export function sendPage(reply: FastifyReply, status: number, html: string, csp: string = PAGE_CSP): FastifyReply {
  return reply
    .code(status)
    .header('content-security-policy', csp)
    .header('cache-control', 'no-store')
    .type('text/html; charset=utf-8')
    .send(html);
}
