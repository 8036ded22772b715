import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { citizenProblemOf, sendErrorPage } from './error-page.ts';
import { problemCatalog, problemType, sendProblem, type ProblemName } from './problems.ts';

/**
 * What happens to requests that never reach a route: malformed HTTP (the parser's client errors),
 * a path whose parameter is too long, a request with two Host headers. Each still gets the ledger's
 * answer: problem+json on the API, an HTML page on the citizen's browser routes.
 */

const BROWSER_PREFIXES = ['/authorize', '/portal', '/verify', '/simulator', '/contact', '/privacy', '/accessibility'];

/** A route a citizen's browser opens, where a refusal is a page, never a JSON document. */
export function isBrowserPath(url: string): boolean {
  const path = url.split('?')[0]!;
  return BROWSER_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`)) && !path.startsWith('/api/');
}

/** Refuses `name` as a page on browser routes, as problem+json elsewhere (also the app's not-found and last-resort answers). */
export function refuseRequest(request: FastifyRequest, reply: FastifyReply, name: ProblemName, detail: string): FastifyReply {
  if (!isBrowserPath(request.url)) return sendProblem(reply, name, detail);
  const { status } = problemCatalog[name];
  request.log.info({ problem: name, detail }, 'browser request refused');
  return sendErrorPage(request, reply, status, citizenProblemOf(name, status));
}

/** fastify's `frameworkErrors`: a URL it cannot route (bad encoding, a parameter past its length). */
export function frameworkErrors(error: Error & { code?: string }, request: FastifyRequest, reply: FastifyReply): void {
  const name: ProblemName = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'uri-too-long' : 'invalid-request';
  void refuseRequest(request, reply, name, name === 'uri-too-long' ? 'a path segment is longer than any this ledger names' : 'the URL is malformed');
}

/**
 * The HTTP server's `clientError`: the request could not be parsed (chunked garbage, Content-Length
 * with Transfer-Encoding, a negative length), its headers were too large, or it timed out. Answered
 * as problem+json on the raw socket, then closed.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, name]: [number, ProblemName] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'request-timeout'] : error.code === 'HPE_HEADER_OVERFLOW' ? [431, 'headers-too-large'] : [400, 'invalid-request'];
  if (!socket.writable) return void socket.destroy();
  const { title } = problemCatalog[name];
  const body = JSON.stringify({ type: problemType(name), title, status, detail: 'the request could not be read as HTTP/1.1' });
  socket.end(
    `HTTP/1.1 ${status} ${title}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * RFC 9112 section 3.2: a request with more than one Host header is refused (400). Node keeps the
 * first and drops the others, so two parts of a chain could each see another host.
 */
export function hostHeaderCount(rawHeaders: readonly string[]): number {
  let hosts = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (name.length === 4 && name.toLowerCase() === 'host') hosts++;
  }
  return hosts;
}
