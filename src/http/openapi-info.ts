import { problemCatalog, problemType, type ProblemName } from './problems.ts';
import { problemExamples } from './problem-docs.ts';

/** What the ledger answers before any route is found: no route documents these, so the description does. */
const BEFORE_ANY_ROUTE: readonly ProblemName[] = ['not-found', 'request-timeout', 'uri-too-long', 'headers-too-large', 'invalid-request'];
const beforeAnyRoute = BEFORE_ANY_ROUTE.map((name) => `${problemCatalog[name].status} \`${problemType(name)}\` (${problemCatalog[name].title})`).join(', ');

/** The top of the OpenAPI document; paths come from the route schemas. */
export function openApiInfo() {
  return {
    openapi: '3.1.0' as const,
    info: {
      title: 'Act ledger: authorization of digital acts',
      version: '1.0.0',
      // The licence the national point publishes the API under (EUPL: the EU's licence for public-sector software).
      license: { name: 'EUPL-1.2', identifier: 'EUPL-1.2' },
      description: [
        'The national point\'s ledger of digital acts. A qualified provider gets an ActAs token (`POST /api/v1/token`),',
        'registers an act (SHA-256 of the document, name, description, the citizen\'s SePP), and the citizen authorizes it',
        'by authenticating again or by a code sent by SMS or to the Mobile Key.',
        '',
        '**The defined way of hashing a code.** For act `actId` and code `code`:',
        '`codeSha256 = hex(SHA-256(UTF-8("<actId>:<code>")))` and `codeSha512 = hex(SHA-512(UTF-8("<actId>:<code>")))`, lowercase hex.',
        'The ledger answers `codeSha256` when it sends a code; the provider compares the citizen\'s input with it and, when',
        'equal, sends `codeSha512` to the verification endpoint.',
        '',
        'Errors are `application/problem+json` (RFC 9457); `type` is stable per kind of refusal, and every operation lists the',
        'types it can answer (an enum per status, with an example of each). Before any route is found the ledger may answer',
        `${beforeAnyRoute}; the citizen's browser routes answer HTML pages instead.`,
      ].join('\n'),
    },
    servers: [{ url: '/' }],
    tags: [
      { name: 'provider', description: 'For qualified providers, with an ActAs token' },
      { name: 'public', description: 'For anyone: verification of documents' },
      { name: 'citizen', description: 'For citizens, after login' },
      { name: 'admin', description: 'For the national point\'s administrators' },
      { name: 'audit', description: 'For auditors' },
      { name: 'simulator', description: 'Only in the simulator environment' },
      { name: 'operations', description: 'Health, readiness, keys' },
    ],
    components: {
      examples: problemExamples(),
      securitySchemes: {
        actAs: { type: 'http' as const, scheme: 'bearer', bearerFormat: 'JWT', description: 'ActAs token from POST /api/v1/token' },
        admin: { type: 'http' as const, scheme: 'bearer', description: 'The admin token (LEDGER_ADMIN_TOKEN)' },
        auditor: { type: 'http' as const, scheme: 'bearer', description: 'The auditor token (LEDGER_AUDITOR_TOKEN): the audit API accepts it, and only it; no other route does' },
        portalSession: { type: 'apiKey' as const, in: 'cookie' as const, name: 'ledger_portal', description: 'The citizen portal\'s session cookie, set by signing in at /portal (`__Host-ledger_portal` over HTTPS)' },
      },
    },
  };
}

/** The name the OpenAPI gives a route's trailing wildcard (`/tlog/tile/*`): OpenAPI parameters need a name. */
const WILDCARD_PARAM = 'path';

/** A fastify route pattern as an OpenAPI path: `:actId` → `{actId}`, a trailing `*` → `{path}`. */
export function openApiPath(route: string): string {
  return route.replace(/:(\w+)/g, '{$1}').replace(/\*$/, `{${WILDCARD_PARAM}}`);
}

/** @fastify/swagger's transform: routes under their OpenAPI paths, the wildcard parameter named as the path names it. */
export function openApiRoute<S extends object>({ schema, url }: { schema: S; url: string }): { schema: S; url: string } {
  const params = (schema as { params?: { properties?: Record<string, unknown>; required?: string[] } } | undefined)?.params;
  if (!params?.properties?.['*']) return { schema, url: openApiPath(url) };
  const { '*': wildcard, ...named } = params.properties;
  const required = (params.required ?? []).map((name) => (name === '*' ? WILDCARD_PARAM : name));
  return { schema: { ...schema, params: { ...params, properties: { ...named, [WILDCARD_PARAM]: wildcard }, required } }, url: openApiPath(url) };
}

/**
 * @fastify/swagger's last step: the problem examples no operation refers to are left out (the
 * catalogue holds some the domain maps but no route answers today).
 */
export function withoutUnusedExamples<D extends object, S extends object>(document: { openapiObject: D } | { swaggerObject: S }): D | S {
  const doc: D | S = 'openapiObject' in document ? document.openapiObject : document.swaggerObject;
  const { paths, components } = doc as { paths?: unknown; components?: { examples?: Record<string, unknown> } };
  if (!components?.examples) return doc;
  const referenced = JSON.stringify(paths ?? {});
  const examples = Object.fromEntries(Object.entries(components.examples).filter(([name]) => referenced.includes(`"#/components/examples/${name}"`)));
  return { ...doc, components: { ...components, examples } };
}
