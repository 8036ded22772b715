import { LogRangeError } from '../../../app/audit/transparency-log.ts';
import type { FastifyReply } from 'fastify';
import { parseTilePath, TlogError, type TileRef } from '../../../../tlog/index.ts';
import { HttpProblem } from '../../problems.ts';
import { problemResponses } from '../../problem-docs.ts';
import { routeGroup } from '../../route-group.ts';

export const CHECKPOINT_PATH = '/tlog/checkpoint';
export const TILE_PATH_PREFIX = '/tlog/';
export const LOG_KEY_PATH = '/api/v1/audit/log-key';

/** A checkpoint changes every LEDGER_CHECKPOINT_EVERY at most: caches may keep one for seconds. */
const CHECKPOINT_CACHE = 'public, max-age=5';
/** A full tile, or the first W hashes of a partial one, never change: a tile path names its content. */
const TILE_CACHE = 'public, max-age=31536000, immutable';

/**
 * The log's public face, in the formats transparency-log tools read: the latest signed checkpoint
 * (C2SP tlog-checkpoint in a signed note), the hash tiles (C2SP tlog-tiles) and the key that
 * verifies checkpoints (C2SP vkey). No token: they hold hashes and a public key, nothing personal.
 * Entry bundles (the events themselves) stay behind the auditor token, in the audit feed.
 */
export const transparencyLogRoutes = routeGroup(['transparencyLog'], async (app, { services }) => {
  const log = services.transparencyLog;

  app.get(
    CHECKPOINT_PATH,
    {
      schema: {
        tags: ['audit'],
        operationId: 'getLogCheckpoint',
        security: [],
        summary: 'The latest signed checkpoint of the log (C2SP tlog-checkpoint, signed note)',
        description:
          'Three lines (origin, tree size, base64 root hash), a blank line and the Ed25519 signature line, as C2SP `signed-note` writes them; ' +
          'verify with the key at `/api/v1/audit/log-key`. A new one is signed every LEDGER_CHECKPOINT_EVERY when the log grew.',
        response: {
          200: { description: 'The signed note', content: { 'text/plain; charset=utf-8': { schema: { type: 'string' } } } },
          ...problemResponses('no-checkpoint-yet'),
        },
      },
    },
    async (_request, reply) => {
      const latest = await log.latestCheckpoint();
      if (!latest) throw new HttpProblem('no-checkpoint-yet', 'the log has no signed checkpoint yet: one follows within LEDGER_CHECKPOINT_EVERY of the first event');
      return reply.header('cache-control', CHECKPOINT_CACHE).type('text/plain; charset=utf-8').send(latest.checkpoint);
    },
  );

  app.get(
    `${TILE_PATH_PREFIX}tile/*`,
    {
      schema: {
        tags: ['audit'],
        operationId: 'getLogTile',
        security: [],
        summary: 'A hash tile of the log tree (C2SP tlog-tiles): /tlog/tile/<L>/<N>[.p/<W>]',
        description:
          'The hashes at Merkle level 8L, indices 256N .. 256N+255 (or the first W of them for a partial tile), 32 bytes each, concatenated. ' +
          'Immutable once served. Entry bundles are not served here: they are the events, behind the auditor token at `/api/v1/audit/tile/entries/...`.',
        params: { type: 'object', properties: { '*': { type: 'string' } }, required: ['*'] },
        response: {
          200: { description: 'The tile bytes', content: { 'application/octet-stream': { schema: {} } } },
          ...problemResponses('tile-not-found'),
        },
      },
    },
    async (request, reply) =>
      sendTile(reply, `tile/${request.params['*']}`, TILE_CACHE, (tile) => {
        if (tile.level === 'entries') throw new HttpProblem('tile-not-found', 'entry bundles are not public: auditors fetch them at /api/v1/audit/tile/entries/... (or read /api/v1/audit/events)');
        return log.tile(tile);
      }),
  );

  app.get(
    LOG_KEY_PATH,
    {
      schema: {
        tags: ['audit'],
        operationId: 'getLogKey',
        security: [],
        summary: "The key that verifies the log's checkpoints (C2SP signed-note verifier key)",
        description:
          'One line, `<origin>+<key id hex>+<base64 of 0x01 and the Ed25519 public key>`, as Go\'s `golang.org/x/mod/sumdb/note` and the ' +
          'transparency-dev verifiers take it. Public: receipt holders need it to check a receipt offline.',
        response: { 200: { description: 'The verifier key', content: { 'text/plain; charset=utf-8': { schema: { type: 'string' } } } } },
      },
    },
    async (_request, reply) => reply.header('cache-control', 'public, max-age=3600').type('text/plain; charset=utf-8').send(`${log.verifierKey}\n`),
  );
});

/**
 * Answers the tile or entry bundle `path` names (as tlog-tiles spells it) with what `read` gives:
 * a path that is no tile, or a tile the tree does not hold yet, is `tile-not-found`.
 */
export async function sendTile(reply: FastifyReply, path: string, cacheControl: string, read: (tile: TileRef) => Promise<Uint8Array>): Promise<FastifyReply> {
  let tile: TileRef;
  try {
    tile = parseTilePath(path);
  } catch (error) {
    if (error instanceof TlogError) throw new HttpProblem('tile-not-found', `not a tile path: ${error.message}`);
    throw error;
  }
  try {
    return reply.header('cache-control', cacheControl).type('application/octet-stream').send(Buffer.from(await read(tile)));
  } catch (error) {
    if (error instanceof LogRangeError) throw new HttpProblem('tile-not-found', error.message);
    throw error;
  }
}
