import type { CitizenLogEntry } from '../../../app/citizens/citizen-log.ts';
import { escapeHtml } from '../../html.ts';
import type { Lang } from '../../csp-page.ts';
import type { FramedPage } from '../../page-frame.ts';
import { pragueIso, shownTime } from '../../assets/prague-time.js';
import { portalMessages } from './portal-messages.ts';

/** A portal page's content; the route frames and sends it. */
export type PortalPage = Omit<FramedPage, 'lang' | 'switchHref'>;

/** A time as every citizen page shows it: Prague time with its zone, the instant with its offset. */
export function timeElement(iso: string, lang: Lang): string {
  return `<time datetime="${escapeHtml(pragueIso(iso))}">${escapeHtml(shownTime(iso, lang))}</time>`;
}

export function signInPage(lang: Lang): PortalPage {
  const w = portalMessages[lang];
  return {
    title: w.title,
    body: `<h1>${escapeHtml(w.title)}</h1>
<p>${escapeHtml(w.signInIntro)}</p>
<p><a class="button" id="sign-in" href="/portal/login?lang=${lang}">${escapeHtml(w.signIn)}</a></p>`,
  };
}

export interface PortalSessionView {
  /** When the session lapses by itself (ISO 8601). */
  endsAt: string;
}

/**
 * The citizen's CUL entries, in the order given (newest first), and when the session ends.
 * `sections` are further sections of the signed-in page (already escaped HTML, each a <section>
 * with its own h2), placed after the log: the portal's other views of the person's acts go there.
 */
export function logPage(lang: Lang, entries: readonly CitizenLogEntry[], session: PortalSessionView, sections: readonly string[] = []): PortalPage {
  const w = portalMessages[lang];
  const items = entries
    .map(
      (e) => `<li class="entry" data-act-id="${escapeHtml(e.actId)}">
<h3>${escapeHtml(e.actName)}</h3>
<dl class="act">
<dt>${escapeHtml(w.provider)}</dt><dd>${escapeHtml(e.providerName)}</dd>
<dt>${escapeHtml(w.description)}</dt><dd>${escapeHtml(e.description || '—')}</dd>
<dt>${escapeHtml(w.occurredAt)}</dt><dd>${timeElement(e.occurredAt, lang)}</dd>
<dt>${escapeHtml(w.method)}</dt><dd>${escapeHtml(w.methods[e.method] ?? e.method)}</dd>
<dt>${escapeHtml(w.documentHash)}</dt><dd><code>${escapeHtml(e.documentHash)}</code></dd>
<dt>${escapeHtml(w.actId)}</dt><dd><code>${escapeHtml(e.actId)}</code></dd>
</dl>
<p class="hint">${escapeHtml(w.logType)}</p>
</li>`,
    )
    .join('\n');
  return {
    title: w.title,
    body: `<h1>${escapeHtml(w.title)}</h1>
<div class="session">
<p>${escapeHtml(w.signedIn)}</p>
<p id="session-ends">${escapeHtml(w.sessionEnds)}: ${timeElement(session.endsAt, lang)}. <span class="hint">${escapeHtml(w.sessionEndsHint)}</span></p>
<form method="post" action="/portal/logout?lang=${lang}"><button type="submit" class="secondary">${escapeHtml(w.signOut)}</button></form>
</div>
<section id="acts" aria-labelledby="acts-title">
<h2 id="acts-title">${escapeHtml(w.entriesTitle)}</h2>
${entries.length === 0 ? `<p id="no-entries">${escapeHtml(w.none)}</p>` : `<ol class="log" id="entries">\n${items}\n</ol>`}
</section>
${sections.join('\n')}`,
  };
}

export type PortalRefusal = keyof (typeof portalMessages)['en']['refusals'];

/** A sign-in that did not end with a session: why, and a way to start again; the request id for support. */
export function refusedPage(lang: Lang, refusal: PortalRefusal, requestId: string): PortalPage {
  const w = portalMessages[lang];
  return portalRefusalPage(lang, { title: w.refusedTitle, problem: refusal, text: w.refusals[refusal], back: w.tryAgain }, requestId);
}

/** A portal refusal page: its title, why (`problem` marks it for tests and support), and the way back to the portal. */
export function portalRefusalPage(lang: Lang, refusal: { title: string; problem: string; text: string; back: string }, requestId: string): PortalPage {
  return {
    title: refusal.title,
    requestId,
    body: `<h1>${escapeHtml(refusal.title)}</h1>
<div class="error-page" data-problem="${escapeHtml(refusal.problem)}">
<p>${escapeHtml(refusal.text)}</p>
<p><a href="/portal?lang=${lang}">${escapeHtml(refusal.back)}</a></p>
</div>`,
  };
}
