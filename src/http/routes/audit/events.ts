import { Readable } from 'node:stream';
import { AUDIT_PAGE_DEFAULT, AUDIT_PAGE_MAX, auditPage, UnknownCursorError } from '../../../app/audit/audit-feed.ts';
import { EventSequence } from '../../../app/projecting/event-sequence.ts';
import { auditorAccess, auditorRefusals } from '../../auth.ts';
import { HttpProblem } from '../../problems.ts';
import { routeGroup } from '../../route-group.ts';

export const AUDIT_EVENTS_PATH = '/api/v1/audit/events';

/** One NDJSON line of the feed, as the OpenAPI describes it. */
const auditEntrySchema = {
  $id: 'AuditEntry',
  type: 'object',
  description: 'One line of application/x-ndjson: one event of the log, in log order',
  required: ['position', 'sequence', 'streamName', 'revision', 'type', 'metadata', 'canonical'],
  properties: {
    position: { type: 'integer', description: "The store's cursor (sparse on EventStoreDB: compare it, never count with it); pass the last one as `after`" },
    sequence: { type: 'integer', minimum: 1, description: 'The dense number of the event in log order: 1, 2, 3, ...' },
    streamName: { type: 'string' },
    revision: { type: 'integer', minimum: 0, description: "0-based place in its stream" },
    type: { type: 'string' },
    metadata: {
      type: 'object',
      required: ['eventId', 'correlationId', 'occurredAt', 'actor', 'schemaVersion'],
      properties: {
        eventId: { type: 'string' },
        correlationId: { type: 'string' },
        causationId: { type: 'string' },
        occurredAt: { type: 'string', format: 'date-time' },
        actor: { type: 'string' },
        schemaVersion: { type: 'integer' },
      },
    },
    canonical: {
      type: 'string',
      contentEncoding: 'base64',
      description:
        "The event's canonical bytes, base64: the UTF-8 of the RFC 8785 (JCS) serialization of `{ streamName, type, data, metadata }` " +
        'exactly as stored. Personal fields stay sealed (encrypted with the act\'s key), and stay so after the retention destroys that key.',
    },
  },
} as const;

/**
 * The audit API's event feed: the log as stored, for auditors (auditor token only). Streams NDJSON
 * read from the store in batches as the client takes it, so a large page never sits in memory.
 */
export const auditEventRoutes = routeGroup(['config', 'eventStore', 'readModels'], async (app, { services }) => {
  app.addSchema(auditEntrySchema);
  app.addHook('onRequest', auditorAccess(services));
  const sequence = new EventSequence(services.readModels);

  app.get(
    AUDIT_EVENTS_PATH,
    {
      schema: {
        tags: ['audit'],
        operationId: 'listAuditEvents',
        summary: 'The log as stored: events after a position, with their sequence and canonical bytes (NDJSON)',
        description:
          'One JSON object a line (`application/x-ndjson`), in log order, for the events after `after` (0: from the start), at most `limit`. ' +
          'The page ends at the last event the ledger has numbered (its `sequence`); later events come in a later page. ' +
          'Continue with `after` = the `x-next-after` header (also the last line\'s `position`); `Link: <...>; rel="next"` is present while more ' +
          'events are numbered already. A page may be empty (then `x-next-after` repeats `after`). ' +
          '`after` must be 0 or the position of an event of the log (400 otherwise).',
        security: [{ auditor: [] }],
        querystring: {
          type: 'object',
          properties: {
            after: { type: 'integer', minimum: 0, default: 0, description: 'A position from this feed (0: from the start of the log)' },
            limit: { type: 'integer', minimum: 1, maximum: AUDIT_PAGE_MAX, default: AUDIT_PAGE_DEFAULT },
          },
          additionalProperties: false,
        },
        response: {
          200: {
            description: 'Events, one JSON object a line',
            headers: {
              'x-next-after': { type: 'integer', description: 'Pass as `after` for the next page' },
              link: { type: 'string', description: '`<url>; rel="next"` while more events are numbered past this page' },
            },
            content: { 'application/x-ndjson': { schema: { $ref: 'AuditEntry#' } } },
          },
          ...auditorRefusals(),
        },
      },
    },
    async (request, reply) => {
      const { after = 0, limit = AUDIT_PAGE_DEFAULT } = request.query;
      let page;
      try {
        page = await auditPage({ eventStore: services.eventStore, sequence }, { after, limit });
      } catch (error) {
        if (error instanceof UnknownCursorError) throw new HttpProblem('invalid-request', error.message, { field: 'after' });
        throw error;
      }
      reply.header('x-next-after', String(page.next)).header('cache-control', 'no-store');
      if (page.more) reply.header('link', `<${AUDIT_EVENTS_PATH}?after=${page.next}&limit=${limit}>; rel="next"`);
      return reply.type('application/x-ndjson').send(Readable.from(page.lines()));
    },
  );
});
