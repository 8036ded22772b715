import type { FastifyReply, FastifyRequest } from 'fastify';
import { escapeHtml } from './html.ts';
import { sendPage, type Lang } from './csp-page.ts';
import { memberOf } from './loose-input.ts';
import { frameMessages } from './page-frame-messages.ts';

/**
 * The one frame of every page a citizen sees (verify, portal, authorization, errors, the simulated
 * identity node and phone): a header naming the national point with the language switch, the page's
 * main landmark, and a footer with contact, privacy and accessibility links. Czech unless the
 * citizen asks for English by the `lang` query, the `lang` cookie the switch leaves, or Accept-Language.
 */

export const LANG_COOKIE = 'lang';
const LANG_COOKIE_SECONDS = 365 * 24 * 3600;
export const INFO_PATHS = { contact: '/contact', privacy: '/privacy', accessibility: '/accessibility' } as const;

const isLang = (value: unknown): value is Lang => value === 'cs' || value === 'en';

/** The language a page answers in: `?lang=`, then the `lang` cookie, then Accept-Language (English only when preferred to Czech), else Czech. */
export function pageLanguage(request: FastifyRequest): Lang {
  const asked = memberOf(request.query, 'lang');
  if (isLang(asked)) return asked;
  const cookie = cookieLanguage(request.headers.cookie);
  if (cookie) return cookie;
  return acceptedLanguage(request.headers['accept-language']);
}

function cookieLanguage(header: string | undefined): Lang | undefined {
  for (const pair of (header ?? '').split(';')) {
    const [name, value] = pair.split('=').map((s) => s.trim());
    if (name === LANG_COOKIE && isLang(value)) return value;
  }
  return undefined;
}

/** English when the browser ranks some English above any Czech; Czech otherwise (also for other languages). */
export function acceptedLanguage(header: string | undefined): Lang {
  let cs = 0;
  let en = 0;
  for (const item of (header ?? '').split(',').slice(0, 20)) {
    const [tag = '', ...params] = item.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const weight = q ? Number(q.slice(2)) : 1;
    if (!Number.isFinite(weight)) continue;
    const primary = tag.split('-')[0];
    if (primary === 'cs' || primary === 'sk') cs = Math.max(cs, weight);
    else if (primary === 'en') en = Math.max(en, weight);
  }
  return en > cs ? 'en' : 'cs';
}

export interface FramedPage {
  lang: Lang;
  title: string;
  /** Already escaped HTML, placed in <main>. */
  body: string;
  /** Module scripts under /assets. */
  scripts?: string[];
  /** Stylesheets beyond ledger.css (a widget's own). */
  styles?: string[];
  /** Data for the scripts, placed as a JSON block (not executed, so the CSP does not apply to it). */
  data?: unknown;
  /** Where the language switch goes; by default this page (a GET of the same URL) in the other language. */
  switchHref?: string;
  /** The request id, shown for support on error pages. */
  requestId?: string;
  /** The page's CSP, when not the pages' usual one. */
  csp?: string;
}

/** This URL with `lang` set to `lang` (other parameters kept); the bare path for a form's POST, whose body a link cannot repeat. */
export function sameUrlIn(request: FastifyRequest, lang: Lang): string {
  const url = new URL(request.url, 'http://page.local');
  if (request.method !== 'GET') url.search = '';
  url.searchParams.set('lang', lang);
  return `${url.pathname}${url.search}`;
}

/** An info link in the frame keeps the language: `/privacy?lang=en`. */
const inLang = (path: string, lang: Lang) => `${path}?lang=${lang}`;

export function framedPage(page: FramedPage): string {
  const { lang, title, body, scripts = [], styles = [], data } = page;
  const m = frameMessages[lang];
  const other: Lang = lang === 'cs' ? 'en' : 'cs';
  const switchHref = page.switchHref ?? `?lang=${other}`;
  // `<` escaped so the JSON cannot close its script element.
  const json = data === undefined ? '' : `<script type="application/json" id="page-data">${JSON.stringify(data).replace(/</g, '\\u003c')}</script>\n`;
  const support = page.requestId
    ? `<p class="support" id="support">${escapeHtml(m.requestId)}: <code>${escapeHtml(page.requestId)}</code><span class="hint">${escapeHtml(m.requestIdHint)}</span></p>\n`
    : '';
  const links = [
    [inLang('/verify', lang), m.verify],
    [inLang('/portal', lang), m.portal],
    [inLang(INFO_PATHS.contact, lang), m.contact],
    [inLang(INFO_PATHS.privacy, lang), m.privacy],
    [inLang(INFO_PATHS.accessibility, lang), m.accessibility],
  ];
  return `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} – ${escapeHtml(m.pointName)}</title>
<link rel="stylesheet" href="/assets/ledger.css">
${styles.map((s) => `<link rel="stylesheet" href="${escapeHtml(s)}">\n`).join('')}<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
${json}${scripts.map((s) => `<script type="module" src="${escapeHtml(s)}"></script>\n`).join('')}</head>
<body>
<a class="skip" href="#main">${escapeHtml(m.skip)}</a>
<header class="site">
<div class="bar">
<p class="brand"><span class="brand-name">${escapeHtml(m.pointName)}</span> <span class="brand-tag">${escapeHtml(m.pointTagline)}</span></p>
<p class="lang"><a href="${escapeHtml(switchHref)}" lang="${other}" hreflang="${other}" title="${escapeHtml(m.switchTitle)}">${escapeHtml(m.switchLabel)}</a></p>
</div>
</header>
<main id="main">
${body}
${support}</main>
<footer class="site">
<nav aria-label="${escapeHtml(m.footerLabel)}"><ul>${links.map(([href, text]) => `<li><a href="${escapeHtml(href!)}">${escapeHtml(text!)}</a></li>`).join('')}</ul></nav>
<p>${escapeHtml(m.pointName)}</p>
</footer>
</body>
</html>`;
}

/**
 * Sends a framed page with the pages' CSP, in the language the request asks for; a `?lang=` choice
 * is remembered in the `lang` cookie, so the next page (an identity node, an error) keeps it.
 */
export function sendFramedPage(request: FastifyRequest, reply: FastifyReply, status: number, page: Omit<FramedPage, 'lang'> & { lang?: Lang }): FastifyReply {
  const lang = page.lang ?? pageLanguage(request);
  const asked = memberOf(request.query, 'lang');
  if (isLang(asked)) {
    const secure = request.protocol === 'https' ? '; Secure' : '';
    reply.header('set-cookie', `${LANG_COOKIE}=${asked}; Path=/; Max-Age=${LANG_COOKIE_SECONDS}; SameSite=Lax${secure}`);
  }
  const other: Lang = lang === 'cs' ? 'en' : 'cs';
  return sendPage(reply, status, framedPage({ switchHref: sameUrlIn(request, other), ...page, lang }), page.csp);
}
