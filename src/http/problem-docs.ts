import type { FastifyInstance, RouteOptions } from 'fastify';
import { problemCatalog, problemType, type ProblemName } from './problems.ts';

/*
 * How routes document the problems they answer in the OpenAPI: per status, an enum of the type URIs
 * and an example of each (by reference to components.examples), merged from what the route lists
 * and what the parts around it (guards, limits, the error handler) add.
 */

/** The problem+json response schema every route documents for its error statuses. */
export const problemSchema = {
  $id: 'Problem',
  type: 'object',
  description: 'RFC 9457 problem details. `type` is stable per kind of refusal; each response lists the types it can carry.',
  properties: {
    type: { type: 'string', description: 'urn:problem:act-ledger:<name>: what to branch on' },
    title: { type: 'string', description: 'The kind of refusal in words, the same for every problem of this type' },
    status: { type: 'integer', minimum: 400, maximum: 599, description: 'The HTTP status, repeated' },
    detail: { type: 'string', description: 'What exactly was refused in this request, and what to do instead' },
    instance: { type: 'string', description: 'The path that was called' },
  },
  required: ['type', 'title', 'status'],
  additionalProperties: true,
} as const;

const PROBLEM_MEDIA = 'application/problem+json';
const OR_A_PROBLEM = '; or a problem. ';

interface ProblemExample {
  summary: string;
  value: { type: string; title: string; status: number };
}

/** A problem+json media type naming the problems it can carry: an enum of their type URIs and an example of each. */
interface ProblemMedia {
  schema: { allOf: [{ $ref: 'Problem#' }, { type: 'object'; properties: { type: { type: 'string'; enum: string[] } } }] };
  examples: Record<string, { $ref: string }>;
}

/** One response of a route's schema, as the OpenAPI document shows it. */
interface ResponseEntry {
  description?: string;
  content?: Record<string, unknown>;
  [member: string]: unknown;
}

function problemMedia(names: readonly ProblemName[]): ProblemMedia {
  return {
    schema: { allOf: [{ $ref: 'Problem#' }, { type: 'object', properties: { type: { type: 'string', enum: names.map(problemType) } } }] },
    // By reference: the same problems recur on many routes, and the document stays readable.
    examples: Object.fromEntries(names.map((name) => [name, { $ref: `#/components/examples/${name}` }])),
  };
}

/** The example of every problem, for the OpenAPI's components: its type, title and status. */
export function problemExamples(): Record<ProblemName, ProblemExample> {
  return Object.fromEntries(
    Object.entries(problemCatalog).map(([name, { status, title }]) => [name, { summary: title, value: { type: problemType(name as ProblemName), title, status } }]),
  ) as Record<ProblemName, ProblemExample>;
}

const describeProblems = (names: readonly ProblemName[]) => `Refused: ${names.join(', ')} (examples give each one's title)`;

/** The problem names a response entry documents (none when it carries no problem+json). */
export function documentedProblemNames(entry: unknown): ProblemName[] {
  const media = (entry as ResponseEntry | undefined)?.content?.[PROBLEM_MEDIA] as ProblemMedia | undefined;
  return media ? (Object.keys(media.examples) as ProblemName[]) : [];
}

function byStatus(names: readonly ProblemName[]): Map<number, ProblemName[]> {
  const groups = new Map<number, ProblemName[]>();
  for (const name of new Set(names)) {
    const { status } = problemCatalog[name];
    groups.set(status, [...(groups.get(status) ?? []), name]);
  }
  return groups;
}

/**
 * Response entries for the problems a route can answer, one per status, all problem+json: each
 * lists its problems' type URIs (enum) and shows an example of each with its title.
 */
export function problemResponses(...names: ProblemName[]): Record<number, ResponseEntry> {
  return Object.fromEntries([...byStatus(names)].map(([status, group]) => [status, { description: describeProblems(group), content: { [PROBLEM_MEDIA]: problemMedia(group) } }]));
}

/**
 * A route's responses with `names` added to what it documents: merged into a problem response of
 * the same status, beside another media type of it, or as a new response. Returns new objects, since
 * routes may share their response schemas.
 */
export function withProblems(responses: Record<string, unknown> | undefined, names: readonly ProblemName[]): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...responses };
  for (const [status, group] of byStatus(names)) {
    const existing = merged[status] as ResponseEntry | undefined;
    const all = [...new Set([...documentedProblemNames(existing), ...group])];
    if (!existing) {
      merged[status] = problemResponses(...all)[status];
      continue;
    }
    // An inline schema (no `content`) is the route's JSON body for that status: keep it as such.
    const { description, content, ...schema } = existing;
    const otherMedia = content ?? (Object.keys(schema).length ? { 'application/json': { schema } } : {});
    const others = Object.entries(otherMedia).filter(([media]) => media !== PROBLEM_MEDIA);
    merged[status] = {
      description: others.length ? `${(description ?? 'See the media types').split(OR_A_PROBLEM)[0]}${OR_A_PROBLEM}${describeProblems(all)}` : describeProblems(all),
      content: { ...Object.fromEntries(others), [PROBLEM_MEDIA]: problemMedia(all) },
    };
  }
  return merged;
}

/** Adds `names` to what a route documents (for onRoute hooks of the parts that answer them); hidden routes stay as they are. */
export function documentProblems(route: { schema?: object }, names: readonly ProblemName[]): void {
  const schema = route.schema as { hide?: boolean; response?: Record<string, unknown> } | undefined;
  if (!schema || schema.hide) return;
  route.schema = { ...schema, response: withProblems(schema.response, names) };
}

/**
 * What any route may answer whatever it does: a malformed request (two Host headers, a body that is
 * no JSON, a failed validation), an internal error, and, where a body can come, one too large or of
 * a type the ledger does not read; plus what the route's own config adds (a per-client rate limit,
 * per-field validation problems). Browser routes answer pages and document them themselves.
 */
function commonProblems(route: RouteOptions): ProblemName[] {
  const names: ProblemName[] = ['invalid-request', 'internal'];
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  if (methods.some((m) => m !== 'GET' && m !== 'HEAD')) names.push('payload-too-large', 'unsupported-media-type');
  const config = route.config as { rateLimit?: unknown; fieldProblems?: Record<string, ProblemName> } | undefined;
  if (config?.rateLimit) names.push('rate-limited');
  names.push(...Object.values(config?.fieldProblems ?? {}));
  return names;
}

/** Documents on every route (browser routes aside) the problems it shares with all others: see commonProblems. */
export function documentCommonProblems(app: FastifyInstance, isBrowserPath: (url: string) => boolean): void {
  app.addHook('onRoute', (route) => {
    if (!isBrowserPath(route.url)) documentProblems(route, commonProblems(route));
  });
}
