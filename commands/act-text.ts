/**
 * What an act's name and description may be. They reach SMS texts, the citizen's portal and the
 * public verification page, so beyond their lengths they must read as what they are: no control
 * characters, no bidirectional overrides or isolates (they can make a text display as another), and
 * a name a person can see. The HTTP schema takes its lengths from here and the act decider applies
 * the rest, so there is one place that says what a valid act text is.
 */

export const ACT_NAME_MAX = 100;
export const ACT_DESCRIPTION_MAX = 300;

const CONTROL = /\p{Cc}/u;
// U+202A-U+202E (embeddings, overrides) and U+2066-U+2069 (isolates).
const BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069]/u;
// Format characters (zero-width space and joiners, BOM, word joiner, soft hyphen, tags, ...),
// separators, variation selectors, and the blank letters and marks that render as nothing.
const INVISIBLE = /[\p{Cf}\p{Z}\s\u034F\u115F\u1160\u17B4\u17B5\u180E\u2800\u3164\uFFA0\uFE00-\uFE0F\u{E0100}-\u{E01EF}]/gu;

/** Why a text cannot stand as an act's name or description; undefined when it can. */
export type ActTextFault = 'length' | 'control-character' | 'bidi-control' | 'invisible' | 'malformed';

/** Lengths count Unicode code points, as JSON Schema's maxLength does (an emoji is one, not two). */
function codePoints(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

function commonFault(text: string, max: number): ActTextFault | undefined {
  if (codePoints(text) > max) return 'length';
  if (!text.isWellFormed()) return 'malformed';
  if (CONTROL.test(text)) return 'control-character';
  if (BIDI_CONTROL.test(text)) return 'bidi-control';
  return undefined;
}

/** A name: 1 to 100 characters once trimmed, something visible among them. */
export function actNameFault(name: string): ActTextFault | undefined {
  if (name.length === 0) return 'length';
  return commonFault(name, ACT_NAME_MAX) ?? (name.replace(INVISIBLE, '').length === 0 ? 'invisible' : undefined);
}

/** A description: at most 300 characters once trimmed, may be empty. */
export function actDescriptionFault(description: string): ActTextFault | undefined {
  return commonFault(description, ACT_DESCRIPTION_MAX);
}

const FAULT_TEXT: Record<ActTextFault, string> = {
  length: 'has the wrong length',
  malformed: 'is not well-formed Unicode',
  'control-character': 'contains a control character',
  'bidi-control': 'contains a bidirectional override or isolate (U+202A-U+202E, U+2066-U+2069)',
  invisible: 'has no visible character',
};

/** A sentence for the refusal, e.g. "name contains a control character". */
export const describeFault = (field: 'name' | 'description', fault: ActTextFault) => `${field} ${FAULT_TEXT[fault]}`;
