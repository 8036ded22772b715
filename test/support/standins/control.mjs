// What both stand-ins share: reading bodies, answering JSON, the scripted answers a test queues and
// the control API under /_control/ a test reads and scripts them with. Node built-ins only, so the
// stand-ins run from any checkout with a bare `node`.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';

const BODY_LIMIT = 1024 * 1024;

/** The whole request body, or undefined past BODY_LIMIT. */
export function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size <= BODY_LIMIT) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > BODY_LIMIT ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function sendJson(res, status, body, headers = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function parseJson(buffer) {
  try {
    return { ok: true, value: JSON.parse(buffer.toString('utf8')) };
  } catch {
    return { ok: false };
  }
}

export function isPlainObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Compares secrets in constant time, over their digests so the lengths may differ. */
export function sameSecret(a, b) {
  const digest = (s) => createHash('sha256').update(String(s)).digest();
  return timingSafeEqual(digest(a), digest(b));
}

/**
 * Answers the test queued, per target (`sms`, `token`, `send`): each request that passes the
 * stand-in's checks takes the next one; with none queued the stand-in answers as the real service.
 * An answer is `{ status, headers?, body? }`, or `{ hang: true }` to never answer (a timeout).
 */
export class Script {
  #queues = new Map();
  add(target, answers) {
    const queue = this.#queues.get(target) ?? [];
    queue.push(...answers);
    this.#queues.set(target, queue);
  }
  next(target) {
    return this.#queues.get(target)?.shift();
  }
  clear() {
    this.#queues.clear();
  }
}

/**
 * Plays a scripted answer. A hang keeps the request open until the client gives up; `build` turns a
 * shorthand (such as the FCM error code) into the body. Returns what was answered, for the record.
 */
export function play(res, answer, build = (a) => a.body) {
  if (answer.hang) return 'hang';
  const body = build(answer);
  const headers = { ...(answer.headers ?? {}) };
  if (body === undefined) {
    res.writeHead(answer.status, headers);
    res.end();
  } else if (typeof body === 'string') {
    res.writeHead(answer.status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
    res.end(body);
  } else {
    sendJson(res, answer.status, body, headers);
  }
  return answer.status;
}

/**
 * An HTTP server on a loopback port the OS picks, with the control API in front of `handle`:
 * GET /_control/received (the stand-in's record), POST /_control/script `{ target, answers }`,
 * POST /_control/reset, and any extra control routes. Prints its URL as the first stdout line.
 */
export async function serve({ handle, received, reset, script, control = {} }) {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://stand-in').pathname;
    const work = path.startsWith('/_control/') ? controlRoute(req, res, path) : handle(req, res, path);
    Promise.resolve(work).catch((error) => {
      if (!res.headersSent) sendJson(res, 500, { error: `stand-in failure: ${error?.message ?? error}` });
      else res.destroy();
    });
  });

  async function controlRoute(req, res, path) {
    if (req.method === 'GET' && path === '/_control/received') return sendJson(res, 200, received());
    if (req.method !== 'POST') return sendJson(res, 405, { error: 'control routes are GET received or POST' });
    const parsed = parseJson((await readBody(req)) ?? Buffer.from('{}'));
    const body = parsed.ok && isPlainObject(parsed.value) ? parsed.value : {};
    if (path === '/_control/reset') {
      script.clear();
      reset();
      return sendJson(res, 200, { ok: true });
    }
    if (path === '/_control/script') {
      if (typeof body.target !== 'string' || !Array.isArray(body.answers)) return sendJson(res, 400, { error: 'script needs { target, answers: [...] }' });
      script.add(body.target, body.answers);
      return sendJson(res, 200, { ok: true });
    }
    const extra = control[path];
    if (extra) return sendJson(res, 200, extra(body) ?? { ok: true });
    return sendJson(res, 404, { error: `no control route ${path}` });
  }

  await new Promise((resolve) => server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  const stop = () => {
    // Hanging requests and kept-alive sockets would hold the process open.
    server.closeAllConnections();
    server.close(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdout.write(`${url}\n`);
  return url;
}
