import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, redactedKeys } from '../../src/logger.ts';

/** A logger writing into an array of parsed lines. */
function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger('info', sink), lines, raw: () => JSON.stringify(lines) };
}

describe('log redaction', () => {
  it('blanks every listed key one level down, and leaves the rest of the line as it was', () => {
    const { logger, lines, raw } = capture();
    const body = Object.fromEntries(redactedKeys.map((k) => [k, `secret-${k}`]));
    logger.info({ body: { ...body, actId: 'act-1' }, status: 201 }, 'request');
    const logged = lines[0]!.body as Record<string, unknown>;
    for (const key of redactedKeys) expect(logged[key]).toBe('[redacted]');
    expect(logged.actId).toBe('act-1');
    expect(lines[0]!.status).toBe(201);
    expect(raw()).not.toContain('secret-');
  });

  it('blanks authorization, cookie and set-cookie headers of a logged request or response', () => {
    const { logger, raw, lines } = capture();
    logger.info({ req: { method: 'POST', headers: { authorization: 'Bearer eyJ.secret', cookie: 'sid=secret', accept: 'application/json' } } });
    logger.info({ res: { statusCode: 200, headers: { 'set-cookie': 'sid=secret' } } });
    expect(raw()).not.toContain('secret');
    expect((lines[0]!.req as { headers: Record<string, string> }).headers.accept).toBe('application/json');
  });

  it('keeps an error class, message and stack while blanking its secret fields', () => {
    const { logger, lines } = capture();
    const error = Object.assign(new TypeError('token refused'), { token: 'eyJ.secret' });
    logger.error({ err: error }, 'failed');
    const err = lines[0]!.err as Record<string, unknown>;
    expect(err.type).toBe('TypeError');
    expect(err.message).toBe('token refused');
    expect(String(err.stack)).toContain('TypeError');
    expect(err.token).toBe('[redacted]');
  });

  it('never changes the objects the caller logged', () => {
    const { logger } = capture();
    const entry = { body: { sepp: 'kept' }, req: { headers: { authorization: 'kept' } } };
    logger.info(entry);
    expect(entry).toEqual({ body: { sepp: 'kept' }, req: { headers: { authorization: 'kept' } } });
  });

  it('blanks secrets in a child logger too (the per-request logger fastify makes)', () => {
    const { logger, raw } = capture();
    logger.child({ reqId: 'r-1' }).info({ form: { client_assertion: 'eyJ.secret' } });
    expect(raw()).not.toContain('eyJ.secret');
    expect(raw()).toContain('r-1');
  });
});
