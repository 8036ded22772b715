import { readFileSync } from 'node:fs';
import type { FastifyPluginAsync } from 'fastify';
import { routeGroup, type RouteGroup } from '../../src/http/route-group.ts';
import { openApiPath } from '../../src/http/openapi-info.ts';

const COMMITTED = new URL('../../openapi/openapi.json', import.meta.url);
const PROBLEM_MEDIA = 'application/problem+json';

/** Per operation (`GET /api/v1/acts/{actId}`), per status, the problem types its responses list. */
export type DocumentedProblems = Map<string, Map<number, Set<string>>>;

interface OpenApiDocument {
  paths?: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, { schema?: { allOf?: Array<{ properties?: { type?: { enum?: string[] } } }> } }> }> }>>;
}

/** The problem types each operation of an OpenAPI document lists, from the enum of its problem+json responses. */
export function documentedProblems(doc: OpenApiDocument): DocumentedProblems {
  const map: DocumentedProblems = new Map();
  for (const [path, operations] of Object.entries(doc.paths ?? {})) {
    for (const [method, operation] of Object.entries(operations)) {
      const statuses = new Map<number, Set<string>>();
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        const schema = response.content?.[PROBLEM_MEDIA]?.schema;
        const types = (schema?.allOf ?? []).flatMap((part) => part.properties?.type?.enum ?? []);
        if (types.length) statuses.set(Number(status), new Set(types));
      }
      map.set(`${method.toUpperCase()} ${path}`, statuses);
    }
  }
  return map;
}

/** A problem+json answer as the check sees it. */
export interface ProblemAnswer {
  method: string;
  /** The route's pattern as fastify knows it (`/api/v1/acts/:actId`). */
  route: string;
  status: number;
  type: string;
}

/** Why `answer` is not what the document lists for its operation; undefined when it is, or when the operation is not documented. */
export function undocumentedProblem(documented: DocumentedProblems, answer: ProblemAnswer): string | undefined {
  const operation = `${answer.method} ${openApiPath(answer.route)}`;
  const statuses = documented.get(operation);
  if (!statuses) return undefined;
  if (statuses.get(answer.status)?.has(answer.type)) return undefined;
  const listed = [...statuses].map(([status, types]) => `${status}: ${[...types].join(', ')}`).join('; ');
  return `${operation} answered ${answer.status} ${answer.type}, which openapi/openapi.json does not list for it (it lists ${listed || 'no problem'})`;
}

let committed: DocumentedProblems | undefined;
/** The committed document's lists, read once per test file (test/http/openapi.test.ts keeps it in sync with the routes). */
export function committedProblems(): DocumentedProblems {
  committed ??= documentedProblems(JSON.parse(readFileSync(COMMITTED, 'utf8')) as OpenApiDocument);
  return committed;
}

const violations: string[] = [];

/** The violations seen since the last call, forgotten once taken (the setup file fails the test that caused them). */
export function takeProblemViolations(): string[] {
  return violations.splice(0);
}

/**
 * Watches every problem+json answer of a test ledger and notes each whose type the OpenAPI does not
 * list for its route (hidden routes excepted). Registered as a route group that is not encapsulated,
 * so its hook sees every route; the answer itself goes out unchanged.
 */
export function problemTypeCheck(documented: () => DocumentedProblems = committedProblems): RouteGroup {
  const plugin: FastifyPluginAsync = async (app) => {
    app.addHook('onSend', (request, reply, payload, done) => {
      const route = request.routeOptions.url;
      const hidden = (request.routeOptions.schema as { hide?: boolean } | undefined)?.hide === true;
      if (route !== undefined && !hidden && String(reply.getHeader('content-type') ?? '').startsWith(PROBLEM_MEDIA) && typeof payload === 'string') {
        const type = (JSON.parse(payload) as { type?: unknown }).type;
        const why = undocumentedProblem(documented(), { method: request.method, route, status: reply.statusCode, type: String(type) });
        if (why) violations.push(why);
      }
      done(null, payload);
    });
  };
  // Not encapsulated: the hook applies to the ledger's routes, not only to this group's (none).
  Object.assign(plugin, { [Symbol.for('skip-override')]: true });
  return routeGroup([], plugin);
}
