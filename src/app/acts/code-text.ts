import type { CodeChannel } from '../../../events/act.ts';

/** The language a code's text is written in: Czech for the home country's persons, English for everyone else. */
export type CodeTextLanguage = 'cs' | 'en';

export function codeTextLanguage(citizenCountry: string, homeCountry: string): CodeTextLanguage {
  return citizenCountry.toUpperCase() === homeCountry.toUpperCase() ? 'cs' : 'en';
}

export interface CodeTextInput {
  providerName: string;
  actName: string;
  code: string;
  ttlMs: number;
  channel: CodeChannel;
  language: CodeTextLanguage;
}

/*
 * An SMS is 160 GSM-7 characters a segment, but one character outside GSM-7 (Czech á, č, ř, ž, ...,
 * and „“) makes the whole message UCS-2: 70 characters, 67 per segment once it is split. Czech
 * always is UCS-2, and so is English naming a Czech e-service. The fixed words take under 80
 * characters and the names clipped (e-service to 40, act to 60), so an SMS stays within three
 * segments (201 UCS-2 characters) whatever the names; a push has no such limit and names them whole.
 * The code comes first: a lock-screen preview or a cut-off message still shows it.
 */
const SMS_PROVIDER_CHARS = 40;
const SMS_ACT_CHARS = 60;

/** What the citizen reads: the code, the e-service asking and the act, how long it is valid, and not to share it. */
export function codeText(input: CodeTextInput): string {
  const sms = input.channel === 'sms';
  const provider = sms ? clipped(input.providerName, SMS_PROVIDER_CHARS) : input.providerName;
  const act = sms ? clipped(input.actName, SMS_ACT_CHARS) : input.actName;
  const minutes = Math.max(1, Math.round(input.ttlMs / 60_000));
  return input.language === 'cs'
    ? `Kód: ${input.code}. ${provider} žádá o autorizaci úkonu „${act}“. Platí ${minutes} min. Kód nikomu nesdělujte.`
    : `Code: ${input.code}. ${provider} asks you to authorize "${act}". Valid ${minutes} min. Never share this code.`;
}

/** At most `max` characters (code points, so no surrogate pair is split), ending in "…" when cut. */
function clipped(text: string, max: number): string {
  const chars = [...text.trim()];
  return chars.length <= max ? chars.join('') : `${chars.slice(0, max - 1).join('').trimEnd()}…`;
}
