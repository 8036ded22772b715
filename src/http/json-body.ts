import type { FastifyInstance } from 'fastify';
import { HttpProblem } from './problems.ts';

/**
 * The JSON body parser: fastify's own (prototype and constructor poisoning refused), and then
 * duplicate member names refused too. `{"documentHash": A, ..., "documentHash": B}` means B to
 * JSON.parse, and A to a gateway or a log reader that takes the first: two readers of one request
 * must not disagree on what it said (RFC 8259 section 4: names SHOULD be unique).
 */
export function registerJsonBodyParser(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    parse(request, body as string, (error: Error | null, value?: unknown) => {
      if (error) return done(error, undefined);
      const duplicate = duplicateMemberName(body as string);
      if (duplicate !== undefined) return done(new HttpProblem('invalid-request', `the member "${duplicate.slice(0, 100)}" appears twice in one object`), undefined);
      done(null, value);
    });
  });
}

/**
 * The first member name that repeats within one object of a valid JSON text, or undefined. Scans the
 * text once; names are compared as JSON.parse reads them (escapes decoded).
 */
export function duplicateMemberName(text: string): string | undefined {
  // One entry per open container: the names seen so far in an object, null for an array.
  const open: Array<Set<string> | null> = [];
  let expectName = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const start = i;
      let escaped = false;
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c /* \ */) {
          escaped = true;
          i++;
        } else if (d === 0x22) break;
      }
      if (expectName) {
        const raw = text.slice(start + 1, i);
        const name = escaped ? (JSON.parse(text.slice(start, i + 1)) as string) : raw;
        const names = open[open.length - 1]!;
        if (names.has(name)) return name;
        names.add(name);
        expectName = false;
      }
    } else if (c === 0x7b /* { */) {
      open.push(new Set());
      expectName = true;
    } else if (c === 0x5b /* [ */) {
      open.push(null);
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      open.pop();
    } else if (c === 0x2c /* , */) {
      expectName = open[open.length - 1] instanceof Set;
    }
  }
  return undefined;
}
