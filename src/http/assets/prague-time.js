// Times as the citizen's pages show them: in Prague time, with the zone named ("2. 12. 2026 14:05 SEČ",
// "2 December 2026 at 14:05 CET"), and the instant with its UTC offset for <time datetime>. One module
// for the server-rendered portal and the verify page's script, so both show a time the same way.

export const TIME_ZONE = 'Europe/Prague';

const SHOWN = {
  cs: { locale: 'cs-CZ', month: 'numeric' },
  en: { locale: 'en-GB', month: 'long' },
};

/** The instant `iso` as a citizen reads it, in `lang` ('cs' or 'en'); the input unchanged when it is no time. */
export function shownTime(iso, lang) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  const { locale, month } = SHOWN[lang] ?? SHOWN.cs;
  return new Intl.DateTimeFormat(locale, { timeZone: TIME_ZONE, day: 'numeric', month, year: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' }).format(date);
}

/** The instant `iso` in Prague time with its offset, e.g. 2026-12-02T14:05:00+01:00 (a valid `datetime` value). */
export function pragueIso(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', { timeZone: TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'longOffset' })
      .formatToParts(date)
      .map((p) => [p.type, p.value]),
  );
  const offset = parts.timeZoneName === 'GMT' ? '+00:00' : parts.timeZoneName.slice(3);
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${offset}`;
}
