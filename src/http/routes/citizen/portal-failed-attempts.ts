import type { FailureReason } from '../../../../events/act.ts';
import type { FailedAttempt } from '../../../app/citizens/failed-attempts.ts';
import { escapeHtml } from '../../html.ts';
import type { Lang } from '../../csp-page.ts';
import { portalRefusalPage, timeElement, type PortalPage } from './portal-page.ts';
import { portalMessages } from './portal-messages.ts';

/** The words of the portal's failed-attempts section, in Czech and English. */
export const failedAttemptMessages = {
  cs: {
    title: 'Neúspěšné pokusy o autorizaci na vaše jméno',
    intro:
      'Pokusy autorizovat digitální úkon na vaše jméno, které neprošly. Národní bod je uchovává jen po dobu stanovenou pro neúspěšné autorizace, pak je smaže. ' +
      'Pokud o některém pokusu nevíte, dejte nám vědět.',
    none: 'Na vaše jméno není uchován žádný neúspěšný pokus o autorizaci.',
    reason: 'Proč neprošel',
    failedAt: 'Neúspěšný dne',
    retainedUntil: 'Uchováno nejméně do',
    report: 'To jsem nebyl(a) já',
    reportHint: 'Zaznamenáme to a operátor Národního bodu to prověří.',
    reported: (time: string) => `Děkujeme, nahlášeno ${time}. Operátor Národního bodu to prověří.`,
    reasons: {
      'identity-mismatch': 'Přihlásil se někdo jiný než osoba, na jejíž jméno byl úkon založen.',
      'attempts-exhausted': 'Kód byl příliš mnohokrát zadán špatně.',
      expired: 'Úkon nikdo včas neautorizoval.',
      cancelled: 'Přihlášení bylo zrušeno.',
      'loa-too-low': 'Přihlášení nemělo úroveň záruky, kterou e-služba požadovala.',
      'authentication-failed': 'Poskytovatel identity přihlášení nepotvrdil.',
    } satisfies Record<FailureReason, string>,
    refusedTitle: 'Hlášení se nepodařilo zaznamenat',
    backToPortal: 'Zpět na portál',
    refusals: {
      'signed-out': 'Nejste přihlášeni, nebo přihlášení skončilo. Přihlaste se prosím znovu.',
      'form-expired': 'Formulář už neplatí (například po novém přihlášení). Otevřete portál znovu a zkuste to ještě jednou.',
      'not-found': 'Tento pokus na vaše jméno už není uchován.',
      'not-failed': 'Tento úkon neskončil neúspěchem, nelze ho nahlásit.',
    },
  },
  en: {
    title: 'Failed attempts in your name',
    intro:
      'Attempts to authorize a digital act in your name that did not succeed. The national point keeps them only for the time set for failed authorizations, then erases them. ' +
      'If you do not recognise an attempt, tell us.',
    none: 'No failed attempt to authorize an act in your name is kept.',
    reason: 'Why it failed',
    failedAt: 'Failed on',
    retainedUntil: 'Kept at least until',
    report: 'This was not me',
    reportHint: 'We record it, and the national point\'s operator will look into it.',
    reported: (time: string) => `Thank you, reported on ${time}. The national point's operator will look into it.`,
    reasons: {
      'identity-mismatch': 'Someone other than the person the act was registered for signed in.',
      'attempts-exhausted': 'The code was entered wrongly too many times.',
      expired: 'Nobody authorized the act in time.',
      cancelled: 'The sign-in was cancelled.',
      'loa-too-low': 'The sign-in did not reach the level of assurance the e-service asked for.',
      'authentication-failed': 'The identity provider did not confirm the sign-in.',
    } satisfies Record<FailureReason, string>,
    refusedTitle: 'The report could not be recorded',
    backToPortal: 'Back to the portal',
    refusals: {
      'signed-out': 'You are not signed in, or your session has ended. Please sign in again.',
      'form-expired': 'This form is no longer valid (after signing in again, for instance). Open the portal again and retry.',
      'not-found': 'This attempt in your name is no longer kept.',
      'not-failed': 'This act did not fail, so it cannot be reported.',
    },
  },
} as const satisfies Record<Lang, unknown>;

export type ReportRefusal = keyof (typeof failedAttemptMessages)['en']['refusals'];

/** Where the portal's form reports one attempt (form-encoded, the session's form token in `formToken`). */
export const reportFormPath = (actId: string) => `/portal/failed-attempts/${encodeURIComponent(actId)}/report`;

/** The anchor of one attempt on the portal page: the report's answer comes back to it. */
export const attemptAnchor = (actId: string) => `attempt-${actId}`;

/**
 * The signed-in page's section of failed attempts in the person's name, newest first: the act, the
 * e-service, why and when it failed, until when it is kept; a "this was not me" form (carrying the
 * session's form token) or, once reported, the answer.
 */
export function failedAttemptsSection(lang: Lang, attempts: readonly FailedAttempt[], formToken: string): string {
  const w = failedAttemptMessages[lang];
  const p = portalMessages[lang];
  const items = attempts.map((a) => {
    const anchor = escapeHtml(attemptAnchor(a.actId));
    const answer = a.reportedAt
      ? `<p class="reported">${w.reported(timeElement(a.reportedAt, lang))}</p>`
      : `<form method="post" action="${escapeHtml(reportFormPath(a.actId))}?lang=${lang}" class="report">
<input type="hidden" name="formToken" value="${escapeHtml(formToken)}">
<button type="submit" class="secondary" aria-describedby="${anchor}-name ${anchor}-hint">${escapeHtml(w.report)}</button>
<span class="hint" id="${anchor}-hint">${escapeHtml(w.reportHint)}</span>
</form>`;
    return `<li class="attempt" id="${anchor}" data-act-id="${escapeHtml(a.actId)}">
<h3 id="${anchor}-name">${escapeHtml(a.actName)}</h3>
<dl class="act">
<dt>${escapeHtml(p.provider)}</dt><dd>${escapeHtml(a.providerName)}</dd>
<dt>${escapeHtml(w.reason)}</dt><dd class="reason" data-reason="${escapeHtml(a.reason)}">${escapeHtml(w.reasons[a.reason] ?? a.reason)}</dd>
<dt>${escapeHtml(w.failedAt)}</dt><dd>${timeElement(a.failedAt, lang)}</dd>
<dt>${escapeHtml(w.retainedUntil)}</dt><dd>${timeElement(a.retainedUntil, lang)}</dd>
<dt>${escapeHtml(p.actId)}</dt><dd><code>${escapeHtml(a.actId)}</code></dd>
</dl>
${answer}
</li>`;
  });
  return `<section id="failed-attempts" aria-labelledby="failed-attempts-title">
<h2 id="failed-attempts-title">${escapeHtml(w.title)}</h2>
<p>${escapeHtml(w.intro)}</p>
${attempts.length === 0 ? `<p id="no-failed-attempts">${escapeHtml(w.none)}</p>` : `<ol class="log" id="failed-attempt-list">\n${items.join('\n')}\n</ol>`}
</section>`;
}

/** A report the portal could not record: why, and the way back. */
export function reportRefusedPage(lang: Lang, refusal: ReportRefusal, requestId: string): PortalPage {
  const w = failedAttemptMessages[lang];
  return portalRefusalPage(lang, { title: w.refusedTitle, problem: refusal, text: w.refusals[refusal], back: w.backToPortal }, requestId);
}
