/**
 * The pieces event schemas are written from: plain JSON Schema (draft-07) objects, so they can be
 * read, published and compiled by any validator. Only the shapes events share live here.
 */

/** A JSON Schema as a plain object. */
export type JsonSchema = { readonly [keyword: string]: unknown };

export const text = { type: 'string' } as const;
export const count = { type: 'integer', minimum: 0 } as const;
/** An event's number in log order (the event sequence), from 1. Events never hold log positions. */
export const sequence = { type: 'integer', minimum: 1 } as const;
/** An ISO 8601 instant with its offset, as `Date.prototype.toISOString` writes it (or with `+hh:mm`). */
export const instant = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2})$' } as const;
/** 32 bytes in lowercase hex: a SHA-256 or an HMAC-SHA-256. */
export const hex256 = { type: 'string', pattern: '^[0-9a-f]{64}$' } as const;
/** A SHA-256 digest in base64url without padding (RFC 8705 `x5t#S256`). */
export const base64url256 = { type: 'string', pattern: '^[A-Za-z0-9_-]{43}$' } as const;

/** One of the given values. */
export const oneOf = (values: readonly string[]) => ({ enum: [...values] }) as const;
/** One of the given values, or null. */
export const oneOfOrNull = (values: readonly string[]) => ({ enum: [...values, null] }) as const;
export const listOf = (items: JsonSchema) => ({ type: 'array', items }) as const;

/**
 * An object with exactly these members: every one of `required`, any of `optional`, nothing else.
 * Closed on purpose: a stored shape that changes needs a new schema version and an upcaster.
 */
export function exactly(required: Record<string, JsonSchema>, optional: Record<string, JsonSchema> = {}): JsonSchema {
  return { type: 'object', required: Object.keys(required), properties: { ...required, ...optional }, additionalProperties: false };
}
