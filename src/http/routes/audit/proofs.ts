import { LogRangeError, type TransparencyLog } from '../../../app/audit/transparency-log.ts';
import { toBase64 } from '../../../../tlog/index.ts';
import { auditorAccess, auditorRefusals } from '../../auth.ts';
import { HttpProblem } from '../../problems.ts';
import { routeGroup } from '../../route-group.ts';
import { sendTile } from './transparency-log.ts';

export const INCLUSION_PROOF_PATH = '/api/v1/audit/proofs/inclusion';
export const CONSISTENCY_PROOF_PATH = '/api/v1/audit/proofs/consistency';
export const CHECKPOINTS_PATH = '/api/v1/audit/checkpoints';
export const ENTRY_BUNDLE_PREFIX = '/api/v1/audit/tile/entries/';
/** How long a checkpoint asked for waits for the tree to hash what the log holds now. */
const CATCH_UP_MS = 5_000;

const hashList = { type: 'array', items: { type: 'string', contentEncoding: 'base64' }, description: 'RFC 9162 proof hashes, base64, in proof order' } as const;
const treeSizeParam = { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } as const;

/**
 * RFC 9162 proofs over the log tree, for auditors: that an event is a leaf of a signed tree, and
 * that a later signed tree extends an earlier one. The tree size defaults to the latest checkpoint,
 * whose signed note comes with the answer, so one request gives all an offline check needs.
 */
export const auditProofRoutes = routeGroup(['config', 'transparencyLog', 'eventStore', 'projections'], async (app, { services }) => {
  app.addHook('onRequest', auditorAccess(services));
  const log = services.transparencyLog;

  app.get(
    INCLUSION_PROOF_PATH,
    {
      schema: {
        tags: ['audit'],
        operationId: 'getInclusionProof',
        summary: "Inclusion proof of an event (by its position) in the tree of `treeSize` leaves",
        description:
          'The event at `position` is leaf `sequence - 1`; its leaf hash is the RFC 6962 leaf hash of its canonical bytes (the audit feed\'s `canonical`). ' +
          'Without `treeSize`, the latest checkpoint\'s size. `checkpoint` is the signed note of that size, when one was signed.',
        security: [{ auditor: [] }],
        querystring: {
          type: 'object',
          required: ['position'],
          properties: { position: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER }, treeSize: treeSizeParam },
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            required: ['position', 'sequence', 'index', 'treeSize', 'leafHash', 'rootHash', 'hashes'],
            properties: {
              position: { type: 'integer' },
              sequence: { type: 'integer' },
              index: { type: 'integer', description: 'The leaf index: sequence - 1' },
              treeSize: { type: 'integer' },
              leafHash: { type: 'string', contentEncoding: 'base64' },
              rootHash: { type: 'string', contentEncoding: 'base64' },
              hashes: hashList,
              checkpoint: { type: 'string', description: 'The signed checkpoint of `treeSize`, when one was signed' },
            },
          },
          ...auditorRefusals('position-not-in-log', 'leaf-not-in-tree', 'tree-not-that-large', 'no-checkpoint-yet'),
        },
      },
    },
    async (request, reply) => {
      const { position } = request.query;
      const sequence = await log.sequenceOf(position);
      if (sequence === undefined || (await log.positionOf(sequence)) !== position) {
        throw new HttpProblem('position-not-in-log', `no numbered event of the log has position ${position}`, { field: 'position' });
      }
      const treeSize = request.query.treeSize ?? (await latestSize(log));
      const index = sequence - 1;
      if (index >= treeSize) throw new HttpProblem('leaf-not-in-tree', `the event is leaf ${index}, not in a tree of ${treeSize} leaves`, { field: 'treeSize' });
      const [hashes, leafHash, rootHash, checkpoint] = await ranged(() =>
        Promise.all([log.inclusionProof(index, treeSize), log.leafHash(index), log.rootAt(treeSize), log.checkpointOf(treeSize)]),
      );
      reply.header('cache-control', 'no-store');
      return {
        position,
        sequence,
        index,
        treeSize,
        leafHash: toBase64(leafHash),
        rootHash: toBase64(rootHash),
        hashes: hashes.map(toBase64),
        ...(checkpoint ? { checkpoint: checkpoint.checkpoint } : {}),
      };
    },
  );

  app.get(
    `${ENTRY_BUNDLE_PREFIX}*`,
    {
      schema: {
        tags: ['audit'],
        operationId: 'getLogEntryBundle',
        summary: 'An entry bundle of the log (C2SP tlog-tiles): /api/v1/audit/tile/entries/<N>[.p/<W>]',
        description:
          'The canonical bytes of the events numbered 256N+1 .. 256N+W (W = 256 for a full bundle), each behind its big-endian uint16 length, ' +
          'so tlog-tiles clients can fetch leaves beside the public hash tiles at /tlog/tile/... (entries are the events themselves: auditor token).',
        security: [{ auditor: [] }],
        params: { type: 'object', properties: { '*': { type: 'string' } }, required: ['*'] },
        response: {
          200: { description: 'The entry bundle', content: { 'application/octet-stream': { schema: {} } } },
          ...auditorRefusals('tile-not-found'),
        },
      },
    },
    async (request, reply) =>
      sendTile(reply, `tile/entries/${request.params['*']}`, 'private, max-age=31536000, immutable', (tile) => log.entryBundle(tile.index, tile.width)),
  );

  app.post(
    CHECKPOINTS_PATH,
    {
      schema: {
        tags: ['audit'],
        operationId: 'signCheckpoint',
        summary: 'Sign a checkpoint now, covering the log as it stands (when it grew since the latest)',
        description:
          'Waits briefly for the log tree to hash every event recorded so far, then signs and records a checkpoint if the log grew past the latest one ' +
          '(`signed: true`), else answers the latest (`signed: false`). The same as the LEDGER_CHECKPOINT_EVERY schedule does.',
        security: [{ auditor: [] }],
        response: {
          200: {
            type: 'object',
            required: ['signed', 'treeSize', 'checkpoint'],
            properties: { signed: { type: 'boolean' }, treeSize: { type: 'integer' }, checkpoint: { type: 'string' } },
          },
          ...auditorRefusals('no-checkpoint-yet'),
        },
      },
    },
    async (_request, reply) => {
      const head = await services.eventStore.headPosition();
      await services.projections.waitFor(head, CATCH_UP_MS).catch(() => undefined);
      const { checkpoint, signed } = await log.checkpointNow();
      if (!checkpoint) throw new HttpProblem('no-checkpoint-yet', 'the log is empty: there is nothing to sign');
      reply.header('cache-control', 'no-store');
      return { signed, treeSize: checkpoint.treeSize, checkpoint: checkpoint.checkpoint };
    },
  );

  app.get(
    CONSISTENCY_PROOF_PATH,
    {
      schema: {
        tags: ['audit'],
        operationId: 'getConsistencyProof',
        summary: 'Consistency proof from the tree of `from` leaves to the tree of `to` leaves',
        description: 'RFC 9162 section 2.1.4. Without `to`, the latest checkpoint\'s size. The signed notes of both sizes come with it when they were signed.',
        security: [{ auditor: [] }],
        querystring: {
          type: 'object',
          required: ['from'],
          properties: { from: treeSizeParam, to: treeSizeParam },
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            required: ['from', 'to', 'fromRootHash', 'toRootHash', 'hashes'],
            properties: {
              from: { type: 'integer' },
              to: { type: 'integer' },
              fromRootHash: { type: 'string', contentEncoding: 'base64' },
              toRootHash: { type: 'string', contentEncoding: 'base64' },
              hashes: hashList,
              fromCheckpoint: { type: 'string' },
              toCheckpoint: { type: 'string' },
            },
          },
          ...auditorRefusals('tree-not-that-large', 'no-checkpoint-yet'),
        },
      },
    },
    async (request, reply) => {
      const { from } = request.query;
      const to = request.query.to ?? (await latestSize(log));
      if (from > to) throw new HttpProblem('invalid-request', `from (${from}) must not exceed to (${to})`, { field: 'from' });
      const [hashes, fromRoot, toRoot, fromCheckpoint, toCheckpoint] = await ranged(() =>
        Promise.all([log.consistencyProof(from, to), log.rootAt(from), log.rootAt(to), log.checkpointOf(from), log.checkpointOf(to)]),
      );
      reply.header('cache-control', 'no-store');
      return {
        from,
        to,
        fromRootHash: toBase64(fromRoot),
        toRootHash: toBase64(toRoot),
        hashes: hashes.map(toBase64),
        ...(fromCheckpoint ? { fromCheckpoint: fromCheckpoint.checkpoint } : {}),
        ...(toCheckpoint ? { toCheckpoint: toCheckpoint.checkpoint } : {}),
      };
    },
  );
});

async function latestSize(log: TransparencyLog): Promise<number> {
  const latest = await log.latestCheckpoint();
  if (!latest) throw new HttpProblem('no-checkpoint-yet', 'the log has no signed checkpoint yet; pass the tree size');
  return latest.treeSize;
}

async function ranged<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof LogRangeError) throw new HttpProblem('tree-not-that-large', error.message);
    throw error;
  }
}
