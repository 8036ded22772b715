/**
 * The transparency-log library's refusals. Each code is stable, so the edge can map it once to a
 * problem type; the message says what was wrong without echoing the input.
 */
export type TlogErrorCode =
  | 'malformed-note'
  | 'malformed-key'
  | 'invalid-key-name'
  | 'unverified-note'
  | 'invalid-signature'
  | 'malformed-checkpoint'
  | 'malformed-tile-path'
  | 'malformed-proof'
  | 'origin-mismatch'
  | 'inclusion-not-proven'
  | 'invalid-tree-size'
  | 'invalid-hash'
  | 'entry-too-large';

export class TlogError extends Error {
  override readonly name = 'TlogError';
  constructor(
    readonly code: TlogErrorCode,
    message: string,
  ) {
    super(message);
  }
}
