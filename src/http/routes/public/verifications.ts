import { createHash } from 'node:crypto';
import multipart from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { AUTHORIZATION_METHODS } from '../../../../events/act.ts';
import type { CaptchaService } from '../../../app/citizens/captcha.ts';
import { routeGroup } from '../../route-group.ts';
import { HttpProblem } from '../../problems.ts';
import { problemResponses } from '../../problem-docs.ts';
import { stringEnum, type FromSchema } from '../../schema.ts';
import { OPENAPI_EXAMPLES } from '../../openapi-examples.ts';

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

export const CAPTCHA_PATH = '/api/v1/public/captcha';
export const VERIFICATIONS_PATH = '/api/v1/public/verifications';

/** A lookup takes the hash in either case (a hash copied from a tool may be uppercase); the verdict gives it lowercase. */
const HASH = '^[0-9a-fA-F]{64}$';
/** Room for the multipart framing and the captcha field around the file itself. */
const MULTIPART_OVERHEAD = 64 * 1024;

const verdictSchema = {
  type: 'object',
  required: ['documentHash', 'authorized', 'acts'],
  properties: {
    documentHash: { type: 'string', pattern: '^[0-9a-f]{64}$', description: 'SHA-256 of the document, lowercase hex' },
    authorized: { type: 'boolean', description: 'true when at least one authorized act is recorded for this document' },
    acts: {
      type: 'array',
      description: 'The authorized acts for this document, oldest first. Nothing identifies the citizen.',
      items: {
        type: 'object',
        required: ['actId', 'name', 'description', 'providerName', 'authorizedAt', 'method'],
        properties: {
          actId: { type: 'string' },
          name: { type: 'string' },
          description: { type: 'string' },
          providerName: { type: 'string', description: 'The e-service that registered the act' },
          authorizedAt: { type: 'string', format: 'date-time' },
          method: stringEnum(AUTHORIZATION_METHODS),
        },
      },
    },
  },
} as const;

/** A lookup by a hash the caller computed. */
const jsonLookup = {
  type: 'object',
  required: ['documentHash', 'altcha'],
  properties: {
    documentHash: { type: 'string', pattern: HASH, description: 'SHA-256 of the document: 64 hexadecimal digits, in either case' },
    altcha: { type: 'string', maxLength: 4096, description: 'The solved captcha, base64 JSON as the ALTCHA widget sends it; refused as `captcha-invalid` when missing' },
  },
  additionalProperties: false,
  examples: [OPENAPI_EXAMPLES.documentLookup],
} as const;

/** The upload's fields, both required; the handler reads them from the stream itself. */
const uploadFields = {
  type: 'object',
  required: ['altcha', 'file'],
  properties: {
    altcha: { type: 'string', description: 'The solved captcha (send it before the file)' },
    file: { type: 'string', format: 'binary', description: 'The document' },
  },
} as const;

/** What validation sees of a multipart body, which is still unread then: the handler checks the real fields as they stream in. */
const UNREAD_UPLOAD = { altcha: 'read by the handler', file: 'read by the handler' };

/**
 * The public verification API (SPEC section 2, step 7): an ALTCHA challenge, and the lookup of a
 * document by its SHA-256, sent as JSON or computed here from an uploaded file. The captcha is
 * checked and spent before anything is looked up.
 */
export const publicVerificationRoutes = routeGroup(['config', 'captcha', 'verification'], async (app, { services }) => {
  const { uploadLimit } = services.config;
  // Only this group parses multipart: one file, a few small fields.
  await app.register(multipart, { limits: { fileSize: uploadLimit, files: 1, fields: 4, fieldSize: 4096, parts: 6 } });

  app.get(
    CAPTCHA_PATH,
    {
      // A browser needs one per check; stockpiling them is what the limit prevents.
      config: { rateLimit: { max: 240, timeWindow: '1 minute' } },
      schema: {
        tags: ['public'],
        operationId: 'getCaptcha',
        security: [],
        summary: 'Get a captcha challenge (ALTCHA)',
        description:
          'An ALTCHA proof-of-work challenge (protocol v1): find the number n from 0 to `maxnumber` with ' +
          'hex(SHA-256(salt + n)) = `challenge`, then send base64(JSON {algorithm, challenge, number, salt, signature}) ' +
          'as `altcha` with one verification. Valid for a few minutes, once.',
        response: {
          200: {
            type: 'object',
            required: ['algorithm', 'challenge', 'maxnumber', 'salt', 'signature'],
            properties: {
              algorithm: { type: 'string', enum: ['SHA-256'] },
              challenge: { type: 'string' },
              maxnumber: { type: 'integer' },
              salt: { type: 'string' },
              signature: { type: 'string' },
            },
          },
        },
      },
    },
    async (_request, reply) => {
      reply.header('cache-control', 'no-store');
      return services.captcha.challenge();
    },
  );

  app.post(
    VERIFICATIONS_PATH,
    {
      config: { rateLimit: { max: 120, timeWindow: '1 minute' }, fieldProblems: { documentHash: 'invalid-document-hash' } },
      schema: {
        tags: ['public'],
        operationId: 'verifyDocument',
        security: [],
        summary: 'Is this document recorded as authorized?',
        description:
          'Either JSON `{ documentHash, altcha }` (the hash computed by the caller; the verify page does this in the browser) or ' +
          `multipart/form-data with the field \`altcha\` (best sent before the file) and one \`file\` of at most ${uploadLimit} bytes, ` +
          'hashed while it streams in and not kept. `altcha` is a solved challenge of GET /api/v1/public/captcha, usable once; a ' +
          'missing, wrong, expired or spent one is refused with `captcha-invalid` before anything is looked up.',
        body: {
          content: {
            'application/json': { schema: jsonLookup },
            'multipart/form-data': { schema: uploadFields },
          },
        },
        response: { 200: { ...verdictSchema, examples: [OPENAPI_EXAMPLES.documentVerdict] }, ...problemResponses('captcha-invalid') },
      },
      preValidation: async (request) => {
        // A multipart body is read as a stream by the handler; until then there is nothing to validate.
        if (request.isMultipart()) request.body = UNREAD_UPLOAD;
        // A lookup without a captcha is a refused captcha (counted as missing), whatever else it holds.
        else if (isObject(request.body) && request.body.altcha === undefined) await spendCaptcha(services.captcha, undefined);
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      const { body } = request;
      let documentHash: string;
      if (request.isMultipart()) documentHash = await hashUpload(request, services.captcha, uploadLimit);
      // Any other body passed the JSON schema (no other parser is registered here).
      else if ('documentHash' in body) documentHash = await fromJson(body, services.captcha);
      else throw new HttpProblem('invalid-request', 'send JSON with documentHash, or a multipart upload');
      return services.verification.lookup(documentHash);
    },
  );
});

async function spendCaptcha(captcha: CaptchaService, altcha: unknown): Promise<void> {
  if (!(await captcha.redeem(altcha))) {
    throw new HttpProblem('captcha-invalid', 'solve a new captcha (GET /api/v1/public/captcha) and send it as altcha; each solution works once');
  }
}

async function fromJson(body: FromSchema<typeof jsonLookup>, captcha: CaptchaService): Promise<string> {
  await spendCaptcha(captcha, body.altcha);
  return body.documentHash.toLowerCase();
}

/** Streams the one file into SHA-256, spending the captcha as soon as its field has arrived. */
async function hashUpload(request: FastifyRequest, captcha: CaptchaService, uploadLimit: number): Promise<string> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > uploadLimit + MULTIPART_OVERHEAD) {
    throw new HttpProblem('payload-too-large', `the file may be at most ${uploadLimit} bytes`, { limit: uploadLimit });
  }
  let altcha: string | undefined;
  let spent = false;
  let documentHash: string | undefined;
  for await (const part of malformedAsProblem(request.parts())) {
    if (part.type === 'field') {
      if (part.fieldname === 'altcha' && typeof part.value === 'string') altcha = part.value;
      continue;
    }
    if (part.fieldname !== 'file' || documentHash !== undefined) throw new HttpProblem('invalid-request', 'send exactly one file, in the field file');
    if (altcha !== undefined) {
      await spendCaptcha(captcha, altcha);
      spent = true;
    }
    const hash = createHash('sha256');
    for await (const chunk of malformedAsProblem(part.file)) hash.update(chunk as Buffer);
    if (part.file.truncated) throw new HttpProblem('payload-too-large', `the file may be at most ${uploadLimit} bytes`, { limit: uploadLimit });
    documentHash = hash.digest('hex');
  }
  if (!spent) await spendCaptcha(captcha, altcha);
  if (documentHash === undefined) throw new HttpProblem('invalid-request', 'the multipart body has no field file');
  return documentHash;
}

/**
 * The multipart parser (busboy) reports a missing boundary or a truncated body as a plain Error:
 * that is the client's malformed request, so it answers 400, never 500.
 */
async function* malformedAsProblem<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  for (;;) {
    let next: IteratorResult<T>;
    try {
      next = await iterator.next();
    } catch (error) {
      if (error instanceof HttpProblem || (error as { statusCode?: number }).statusCode) throw error;
      throw new HttpProblem('invalid-request', `the multipart body is malformed: ${error instanceof Error ? error.message : 'unreadable'}`);
    }
    if (next.done) return;
    yield next.value;
  }
}
