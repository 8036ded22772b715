// A delivery gateway of the tests' own, run as its own process: an SMS endpoint (POST /sms, the
// README's gateway contract: bearer token, Idempotency-Key = reference, JSON { to, text, reference })
// and a push endpoint (POST /push, JSON { token, data }) that says UNREGISTERED for tokens it was
// told are gone. It checks what it receives, records it, and answers from a script set over /control.
// Usage: node delivery-gateway.mjs <bearer token>; prints {"port":N} once listening on 127.0.0.1.
import { createServer } from 'node:http';

const token = process.argv[2] ?? 'gateway-token';
/** Per path, the answers still to give, in order; past them, 200. */
const scripts = { '/sms': [], '/push': [] };
const unregistered = new Set();
const received = [];
const problems = [];

const readJson = (req) =>
  new Promise((resolve) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null'));
      } catch {
        resolve(undefined);
      }
    });
  });

const answer = (res, status, body, headers = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};

const server = createServer(async (req, res) => {
  const body = await readJson(req);
  if (req.url === '/control/script' && req.method === 'POST') {
    scripts[body.path] = [...body.answers];
    return answer(res, 204, {});
  }
  if (req.url === '/control/unregistered' && req.method === 'POST') {
    for (const t of body.tokens) unregistered.add(t);
    return answer(res, 204, {});
  }
  if (req.url === '/control/received' && req.method === 'GET') return answer(res, 200, { received, problems });
  if (req.method !== 'POST' || !(req.url in scripts)) return answer(res, 404, { error: 'no such endpoint' });

  const at = Date.now();
  const refuse = (problem) => {
    problems.push({ path: req.url, problem });
    return answer(res, 401, { error: problem });
  };
  if (req.headers.authorization !== `Bearer ${token}`) return refuse('wrong or missing bearer token');
  if (!String(req.headers['content-type'] ?? '').startsWith('application/json') || !body || typeof body !== 'object') return refuse('not a JSON body');
  if (req.url === '/sms') {
    if (typeof body.to !== 'string' || !/^\+\d{8,15}$/.test(body.to) || typeof body.text !== 'string' || typeof body.reference !== 'string') return refuse('not { to, text, reference }');
    if (req.headers['idempotency-key'] !== body.reference) return refuse('Idempotency-Key is not the reference');
    received.push({ path: '/sms', at, idempotencyKey: req.headers['idempotency-key'], body });
  } else {
    if (typeof body.token !== 'string' || typeof body.data !== 'object') return refuse('not { token, data }');
    received.push({ path: '/push', at, body });
    if (unregistered.has(body.token)) return answer(res, 404, { error: { status: 'NOT_FOUND', details: [{ errorCode: 'UNREGISTERED' }] } });
  }
  const next = scripts[req.url].shift();
  if (!next) return answer(res, 200, { accepted: true });
  return answer(res, next.status, next.body ?? {}, next.retryAfter !== undefined ? { 'retry-after': String(next.retryAfter) } : {});
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
