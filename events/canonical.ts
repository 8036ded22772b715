import type { RecordedEvent } from './envelope.ts';

/**
 * The canonical bytes of an event: what the audit feed hands out and what the log's Merkle tree,
 * receipts and every verifier hash. Defined once, here, for all of them:
 *
 *   UTF-8 of the RFC 8785 (JCS) serialization of `{ streamName, type, data, metadata }`
 *
 * with `data` and `metadata` exactly as stored: sealed fields stay sealed, nothing is decoded or
 * upcast. The store's `position` and the stream `revision` are not part of them: they are where the
 * event sits, not what it says, and the tree binds the order by itself. Pure; no imports beyond types.
 */

/** The parts of a stored event its canonical bytes cover. */
export type CanonicalEventParts = Pick<RecordedEvent, 'streamName' | 'type' | 'data' | 'metadata'>;

/** Raised for a value JCS cannot serialize (not I-JSON): nothing is guessed. */
export class NotCanonicalizableError extends Error {
  override readonly name = 'NotCanonicalizableError';
}

const utf8 = new TextEncoder();

/** The event's canonical bytes (see above). */
export function canonicalEventBytes(event: CanonicalEventParts): Uint8Array {
  return utf8.encode(canonicalJson({ streamName: event.streamName, type: event.type, data: event.data, metadata: event.metadata }));
}

/**
 * RFC 8785: object members sorted by their names' UTF-16 code units, no whitespace, strings escaped
 * as ECMAScript's JSON.stringify escapes them, numbers as ECMAScript writes them (Number::toString).
 * Members whose value is `undefined` are left out, as JSON leaves them out (a stored document has none).
 */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  write(value, out, '');
  return out.join('');
}

function write(value: unknown, out: string[], path: string): void {
  switch (typeof value) {
    case 'string':
      return void out.push(quote(value, path));
    case 'number':
      if (!Number.isFinite(value)) throw new NotCanonicalizableError(`${path || 'the value'} is ${value}: I-JSON numbers are finite`);
      // JSON.stringify writes a number as Number::toString does (and -0 as 0): exactly RFC 8785's rule.
      return void out.push(JSON.stringify(value));
    case 'boolean':
      return void out.push(value ? 'true' : 'false');
    case 'object':
      if (value === null) return void out.push('null');
      if (Array.isArray(value)) return writeArray(value, out, path);
      if (!isPlainObject(value)) throw new NotCanonicalizableError(`${path || 'the value'} is not plain JSON data (${Object.prototype.toString.call(value)})`);
      return writeObject(value as Record<string, unknown>, out, path);
    default:
      throw new NotCanonicalizableError(`${path || 'the value'} is ${typeof value}, which JSON cannot hold`);
  }
}

function writeArray(items: readonly unknown[], out: string[], path: string): void {
  out.push('[');
  for (let i = 0; i < items.length; i++) {
    if (i > 0) out.push(',');
    // JSON.stringify would write a hole or undefined as null; canonical bytes refuse to guess.
    if (items[i] === undefined) throw new NotCanonicalizableError(`${path}[${i}] is undefined`);
    write(items[i], out, `${path}[${i}]`);
  }
  out.push(']');
}

function writeObject(object: Record<string, unknown>, out: string[], path: string): void {
  // The default sort compares UTF-16 code units, which is RFC 8785's order (section 3.2.3).
  const names = Object.keys(object).filter((name) => object[name] !== undefined).sort();
  out.push('{');
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    if (i > 0) out.push(',');
    out.push(quote(name, path), ':');
    write(object[name], out, `${path}.${name}`);
  }
  out.push('}');
}

/** A lone surrogate is not Unicode text (I-JSON): refused rather than escaped. */
function quote(text: string, path: string): string {
  if (!text.isWellFormed()) throw new NotCanonicalizableError(`${path || 'a string'} holds a lone surrogate`);
  return JSON.stringify(text);
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
