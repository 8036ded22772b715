import type { AuthorizationMethod } from '../../../../events/act.ts';
import type { CitizenLogEntry } from '../../../app/citizens/citizen-log.ts';
import { escapeHtml } from '../../html.ts';
import { shell, type Lang } from '../../csp-page.ts';

const words = {
  cs: {
    title: 'Portál občana: záznamy o digitálních úkonech',
    signInIntro: 'Po přihlášení uvidíte digitální úkony, které jste autorizovali, tak jak jsou zapsány v centrálním úložišti záznamů (CUL).',
    signIn: 'Přihlásit se',
    signedIn: 'Jste přihlášeni. Záznamy jsou seřazeny od nejnovějšího.',
    signOut: 'Odhlásit se',
    none: 'Zatím nemáte žádný záznam o autorizaci digitálního úkonu.',
    logType: 'Autorizace digitálního úkonu',
    provider: 'Kvalifikovaný poskytovatel (e-služba)',
    description: 'Popis',
    occurredAt: 'Autorizováno dne',
    method: 'Způsob autorizace',
    documentHash: 'Otisk dokumentu (SHA-256)',
    actId: 'Identifikátor úkonu',
    methods: { authentication: 'opětovné přihlášení', sms: 'kód z SMS', 'mobile-key': 'kód v Mobilním klíči' } satisfies Record<AuthorizationMethod, string>,
    switchLabel: 'English',
    locale: 'cs-CZ',
    refusedTitle: 'Přihlášení se nezdařilo',
    tryAgain: 'Zkusit znovu',
    refusals: {
      cancelled: 'Přihlášení bylo zrušeno.',
      failed: 'Poskytovatel identity přihlášení nepotvrdil.',
      'unknown-person': 'Tuto identitu Národní bod nezná.',
      expired: 'Přihlášení trvalo příliš dlouho.',
      replayed: 'Toto přihlášení už bylo použito.',
      'not-started': 'Toto přihlášení nezačalo v tomto prohlížeči, nebo trvalo příliš dlouho.',
      unavailable: 'Poskytovatel identity teď není dostupný. Zkuste to prosím později.',
    },
  },
  en: {
    title: 'Citizen portal: your digital acts',
    signInIntro: 'Sign in to see the digital acts you authorized, as they are written in the central log store (CUL).',
    signIn: 'Sign in',
    signedIn: 'You are signed in. Newest entries first.',
    signOut: 'Sign out',
    none: 'You have no record of an authorized digital act yet.',
    logType: 'Authorization of a digital act',
    provider: 'Qualified provider (e-service)',
    description: 'Description',
    occurredAt: 'Authorized on',
    method: 'Authorized by',
    documentHash: 'Document fingerprint (SHA-256)',
    actId: 'Act identifier',
    methods: { authentication: 'signing in again', sms: 'a code by SMS', 'mobile-key': 'a code in the Mobile Key' } satisfies Record<AuthorizationMethod, string>,
    switchLabel: 'Česky',
    locale: 'en-GB',
    refusedTitle: 'Sign-in did not succeed',
    tryAgain: 'Try again',
    refusals: {
      cancelled: 'The sign-in was cancelled.',
      failed: 'The identity provider did not confirm the sign-in.',
      'unknown-person': 'The national point does not know this identity.',
      expired: 'The sign-in took too long.',
      replayed: 'This sign-in has already been used.',
      'not-started': 'This sign-in was not started in this browser, or it took too long.',
      unavailable: 'The identity provider cannot be reached right now. Please try again later.',
    },
  },
} as const;

const other = (lang: Lang): Lang => (lang === 'cs' ? 'en' : 'cs');
const langSwitch = (lang: Lang) =>
  `<nav class="lang"><a href="/portal?lang=${other(lang)}" lang="${other(lang)}" hreflang="${other(lang)}">${words[lang].switchLabel}</a></nav>`;

export function signInPage(lang: Lang): string {
  const w = words[lang];
  return shell({
    lang,
    title: w.title,
    body: `${langSwitch(lang)}
<h1>${escapeHtml(w.title)}</h1>
<p>${escapeHtml(w.signInIntro)}</p>
<p><a class="button" id="sign-in" href="/portal/login?lang=${lang}">${escapeHtml(w.signIn)}</a></p>`,
  });
}

/** The citizen's CUL entries, in the order given (newest first). */
export function logPage(lang: Lang, entries: readonly CitizenLogEntry[]): string {
  const w = words[lang];
  const time = (iso: string) => {
    const shown = new Date(iso).toLocaleString(w.locale, { dateStyle: 'long', timeStyle: 'short', timeZone: 'Europe/Prague' });
    return `<time datetime="${escapeHtml(iso)}">${escapeHtml(shown)}</time>`;
  };
  const items = entries
    .map(
      (e) => `<li class="entry" data-act-id="${escapeHtml(e.actId)}">
<h2>${escapeHtml(e.actName)}</h2>
<dl class="act">
<dt>${escapeHtml(w.provider)}</dt><dd>${escapeHtml(e.providerName)}</dd>
<dt>${escapeHtml(w.description)}</dt><dd>${escapeHtml(e.description || '—')}</dd>
<dt>${escapeHtml(w.occurredAt)}</dt><dd>${time(e.occurredAt)}</dd>
<dt>${escapeHtml(w.method)}</dt><dd>${escapeHtml(w.methods[e.method] ?? e.method)}</dd>
<dt>${escapeHtml(w.documentHash)}</dt><dd><code>${escapeHtml(e.documentHash)}</code></dd>
<dt>${escapeHtml(w.actId)}</dt><dd><code>${escapeHtml(e.actId)}</code></dd>
</dl>
<p class="hint">${escapeHtml(w.logType)}</p>
</li>`,
    )
    .join('\n');
  return shell({
    lang,
    title: w.title,
    body: `${langSwitch(lang)}
<h1>${escapeHtml(w.title)}</h1>
<p>${escapeHtml(w.signedIn)}</p>
<form method="post" action="/portal/logout?lang=${lang}"><button type="submit" class="secondary">${escapeHtml(w.signOut)}</button></form>
${entries.length === 0 ? `<p id="no-entries">${escapeHtml(w.none)}</p>` : `<ol class="log" id="entries">\n${items}\n</ol>`}`,
  });
}

export type PortalRefusal = keyof (typeof words)['en']['refusals'];

/** A sign-in that did not end with a session: why, and a way to start again. */
export function refusedPage(lang: Lang, refusal: PortalRefusal): string {
  const w = words[lang];
  const message = w.refusals[refusal];
  return shell({
    lang,
    title: w.refusedTitle,
    body: `<h1>${escapeHtml(w.refusedTitle)}</h1>
<p>${escapeHtml(message)}</p>
<p><a href="/portal?lang=${lang}">${escapeHtml(w.tryAgain)}</a></p>`,
  });
}
