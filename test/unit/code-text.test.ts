import { describe, expect, it } from 'vitest';
import { codeText, codeTextLanguage, type CodeTextInput } from '../../src/app/acts/code-text.ts';
import { codeInText } from '../support/delivery.ts';

const base: CodeTextInput = { providerName: 'Finanční úřad', actName: 'Daňové přiznání 2025', code: '042917', ttlMs: 300_000, channel: 'sms', language: 'cs' };

/** Characters of the GSM 03.38 default alphabet (basic set; the extension table costs two each). */
const GSM7 = new Set([...'@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà']);
/** SMS segments the text takes: 160/153 GSM-7 characters, or 70/67 UTF-16 units once one character is not GSM-7. */
function segments(text: string): number {
  const gsm = [...text].every((c) => GSM7.has(c));
  const length = gsm ? [...text].length : text.length;
  const [single, part] = gsm ? [160, 153] : [70, 67];
  return length <= single ? 1 : Math.ceil(length / part);
}

describe('the text of a code message', () => {
  it('is Czech for a person of the home country and English for anyone else', () => {
    expect(codeTextLanguage('CZ', 'CZ')).toBe('cs');
    expect(codeTextLanguage('cz', 'CZ')).toBe('cs');
    expect(codeTextLanguage('SK', 'CZ')).toBe('en');
    expect(codeText(base)).toBe('Kód: 042917. Finanční úřad žádá o autorizaci úkonu „Daňové přiznání 2025“. Platí 5 min. Kód nikomu nesdělujte.');
    expect(codeText({ ...base, language: 'en' })).toBe('Code: 042917. Finanční úřad asks you to authorize "Daňové přiznání 2025". Valid 5 min. Never share this code.');
  });

  it('starts with the code, which the tests and a lock-screen preview read in either language', () => {
    expect(codeInText(codeText(base))).toBe('042917');
    expect(codeInText(codeText({ ...base, language: 'en' }))).toBe('042917');
  });

  it('keeps an SMS within three segments however long the names, clipping them visibly', () => {
    const longest = { ...base, providerName: 'Ř'.repeat(200), actName: 'Ž'.repeat(100) };
    for (const language of ['cs', 'en'] as const) {
      const text = codeText({ ...longest, language });
      expect(segments(text), text).toBeLessThanOrEqual(3);
      expect(text).toContain(`${'Ř'.repeat(39)}…`);
      expect(text).toContain(`${'Ž'.repeat(59)}…`);
    }
    // A typical Czech message is two segments.
    expect(segments(codeText(base))).toBe(2);
    // An English one naming a plain-ASCII e-service stays in GSM-7.
    expect(segments(codeText({ ...base, language: 'en', providerName: 'Tax office', actName: 'Tax return 2025' }))).toBe(1);
  });

  it('names the e-service and the act whole in a push, which has no segments', () => {
    const text = codeText({ ...base, channel: 'mobile-key', providerName: 'Ř'.repeat(200), actName: 'Ž'.repeat(100) });
    expect(text).toContain('Ř'.repeat(200));
    expect(text).toContain('Ž'.repeat(100));
  });

  it('never splits a character made of two UTF-16 units when it clips', () => {
    const text = codeText({ ...base, actName: '𝒜'.repeat(100) });
    expect(text).toContain(`${'𝒜'.repeat(59)}…`);
    expect(text.isWellFormed()).toBe(true);
  });
});
