// A stand-in for Google, run as its own process by the tests: the OAuth token endpoint of a service
// account (POST /token, the RFC 7523 JWT-bearer grant) and FCM HTTP v1
// (POST /v1/projects/<project>/messages:send). It is given the service account's PUBLIC key only:
//   STANDIN_PUBLIC_KEY (PEM), STANDIN_CLIENT_EMAIL, STANDIN_PROJECT_ID, STANDIN_KEY_ID (optional),
//   STANDIN_TOKEN_LIFETIME (seconds an access token lives, default 120; /_control/settings changes it).
// Grants are checked as Google does (RS256 signature, iss, scope, aud, iat, exp at most an hour on);
// messages need a bearer token it issued, the right project, and FCM's shape (string-only data,
// android priority and ttl). Failed checks are answered as Google would and recorded as problems.
import { createPublicKey, randomBytes, verify } from 'node:crypto';
import { isPlainObject, parseJson, play, readBody, Script, sendJson, serve } from './control.mjs';

const env = (name) => {
  const value = process.env[name];
  if (!value) {
    process.stderr.write(`${name} is not set\n`);
    process.exit(2);
  }
  return value;
};
const PUBLIC_KEY = createPublicKey(env('STANDIN_PUBLIC_KEY'));
const CLIENT_EMAIL = env('STANDIN_CLIENT_EMAIL');
const PROJECT_ID = env('STANDIN_PROJECT_ID');
const KEY_ID = process.env.STANDIN_KEY_ID || undefined;
const SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const FCM_ERROR_TYPE = 'type.googleapis.com/google.firebase.fcm.v1.FcmError';
const SKEW_S = 300;
/** Keys FCM keeps for itself in `data` (its docs: "from", "gcm", anything starting with "google"). */
const RESERVED_DATA_KEY = /^(from|gcm|message_type|notification|google.*)$/i;
const STATUS_NAMES = { 400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND', 408: 'DEADLINE_EXCEEDED', 429: 'RESOURCE_EXHAUSTED', 500: 'INTERNAL', 503: 'UNAVAILABLE' };

let tokenLifetimeS = Number(process.env.STANDIN_TOKEN_LIFETIME ?? 120);
const script = new Script();
let grants = [];
let messages = [];
/** Access tokens issued: token -> { expiresAtMs, revoked }. */
let issued = new Map();
let baseUrl = '';

/** FCM's v1 error body for a status and an FcmError code, as FCM answers it. */
function fcmErrorBody(code, errorCode, message) {
  const status = STATUS_NAMES[code] ?? 'UNKNOWN';
  return {
    error: {
      code,
      message: message ?? `stand-in answered ${code}${errorCode ? ` ${errorCode}` : ''}`,
      status,
      ...(errorCode ? { details: [{ '@type': FCM_ERROR_TYPE, errorCode }] } : {}),
    },
  };
}

function base64urlJson(part) {
  try {
    const value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return isPlainObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

async function tokenEndpoint(req, res) {
  const entry = { receivedAt: new Date().toISOString(), header: null, claims: null, signatureValid: false, problems: [], answered: null };
  grants.push(entry);
  const raw = (await readBody(req)) ?? Buffer.alloc(0);
  const refuse = (problems) => {
    entry.problems.push(...problems);
    entry.answered = 400;
    sendJson(res, 400, { error: 'invalid_grant', error_description: problems.join('; ') });
  };
  if (!/^application\/x-www-form-urlencoded(;|$)/.test(req.headers['content-type'] ?? '')) return refuse([`content-type is ${req.headers['content-type'] ?? 'missing'}, not a form`]);
  const form = new URLSearchParams(raw.toString('utf8'));
  if (form.get('grant_type') !== JWT_BEARER) return refuse([`grant_type is ${form.get('grant_type')}, not ${JWT_BEARER}`]);
  const parts = (form.get('assertion') ?? '').split('.');
  if (parts.length !== 3) return refuse(['the assertion is not a compact JWS']);
  const header = base64urlJson(parts[0]);
  const claims = base64urlJson(parts[1]);
  entry.header = header ?? null;
  entry.claims = claims ?? null;
  if (!header || !claims) return refuse(['the assertion header or claims are not JSON objects']);
  const problems = [];
  if (header.alg !== 'RS256') problems.push(`alg is ${header.alg}, not RS256`);
  if (header.typ !== undefined && header.typ !== 'JWT') problems.push(`typ is ${header.typ}, not JWT`);
  if (KEY_ID && header.kid !== KEY_ID) problems.push(`kid is ${header.kid}, not the service account's private_key_id`);
  entry.signatureValid =
    header.alg === 'RS256' && verify('RSA-SHA256', Buffer.from(`${parts[0]}.${parts[1]}`), PUBLIC_KEY, Buffer.from(parts[2], 'base64url'));
  if (!entry.signatureValid) problems.push('the signature does not verify with the service account public key');
  const now = Math.floor(Date.now() / 1000);
  if (claims.iss !== CLIENT_EMAIL) problems.push(`iss is ${claims.iss}, not the service account's client_email`);
  if (claims.scope !== SCOPE) problems.push(`scope is ${claims.scope}, not ${SCOPE}`);
  if (claims.aud !== `${baseUrl}/token`) problems.push(`aud is ${claims.aud}, not ${baseUrl}/token`);
  if (!Number.isInteger(claims.iat) || Math.abs(claims.iat - now) > SKEW_S) problems.push('iat is missing or not now');
  if (!Number.isInteger(claims.exp) || claims.exp <= now) problems.push('exp is missing or past');
  else if (Number.isInteger(claims.iat) && claims.exp - claims.iat > 3600) problems.push('exp is more than an hour after iat');
  if (problems.length > 0) return refuse(problems);
  const scripted = script.next('token');
  if (scripted) {
    entry.answered = play(res, scripted);
    return;
  }
  const token = `ya29.standin-${randomBytes(24).toString('base64url')}`;
  issued.set(token, { expiresAtMs: Date.now() + tokenLifetimeS * 1000, revoked: false });
  entry.answered = 200;
  sendJson(res, 200, { access_token: token, expires_in: tokenLifetimeS, token_type: 'Bearer' }, { 'cache-control': 'no-store' });
}

function messageProblems(body) {
  const problems = [];
  if (!isPlainObject(body) || Object.keys(body).join(',') !== 'message') return ['the body is not exactly { message }'];
  const message = body.message;
  if (!isPlainObject(message)) return ['"message" is not an object'];
  const extra = Object.keys(message).filter((k) => !['token', 'data', 'android'].includes(k));
  if (extra.length > 0) problems.push(`message has unexpected fields ${extra.join(', ')}`);
  if (typeof message.token !== 'string' || message.token.length === 0) problems.push('message.token is not a non-empty string');
  if (!isPlainObject(message.data)) problems.push('message.data is not an object');
  else {
    let size = 0;
    for (const [key, value] of Object.entries(message.data)) {
      if (typeof value !== 'string') problems.push(`message.data.${key} is not a string`);
      if (RESERVED_DATA_KEY.test(key)) problems.push(`message.data.${key} is a key FCM reserves`);
      size += Buffer.byteLength(key) + Buffer.byteLength(String(value));
    }
    if (size > 4096) problems.push(`message.data is ${size} bytes, over FCM's 4096`);
  }
  const android = message.android;
  if (!isPlainObject(android)) problems.push('message.android is not an object');
  else {
    if (android.priority !== 'high') problems.push(`message.android.priority is ${android.priority}, not high`);
    if (typeof android.ttl !== 'string' || !/^\d+(\.\d{1,9})?s$/.test(android.ttl)) problems.push(`message.android.ttl is ${android.ttl}, not a duration such as "300s"`);
    else if (Number.parseFloat(android.ttl) > 28 * 86400) problems.push('message.android.ttl is over four weeks');
    const extraAndroid = Object.keys(android).filter((k) => !['priority', 'ttl'].includes(k));
    if (extraAndroid.length > 0) problems.push(`message.android has unexpected fields ${extraAndroid.join(', ')}`);
  }
  return problems;
}

async function sendEndpoint(req, res, projectId) {
  const entry = { receivedAt: new Date().toISOString(), remotePort: req.socket.remotePort, projectId, message: null, problems: [], answered: null };
  messages.push(entry);
  const raw = await readBody(req);
  const answer = (code, errorCode, text, problem) => {
    if (problem) entry.problems.push(problem);
    entry.answered = code;
    sendJson(res, code, fcmErrorBody(code, errorCode, text));
  };
  const auth = req.headers.authorization ?? '';
  const token = auth.startsWith('Bearer ') ? auth.slice(7) : '';
  const grant = issued.get(token);
  // A token never issued is the client's mistake; an expired or revoked one is what a client must recover from.
  if (!grant) return answer(401, undefined, 'Request had invalid authentication credentials.', auth ? 'a bearer token the stand-in never issued' : 'no bearer token');
  if (grant.revoked || grant.expiresAtMs <= Date.now()) return answer(401, undefined, 'Request had invalid authentication credentials.');
  if (projectId !== PROJECT_ID) return answer(403, undefined, 'Permission denied.', `project ${projectId} is not the service account's project`);
  if (!/^application\/json(;|$)/.test(req.headers['content-type'] ?? '')) return answer(400, 'INVALID_ARGUMENT', 'Invalid JSON payload.', 'content-type is not application/json');
  const parsed = raw === undefined ? { ok: false } : parseJson(raw);
  if (!parsed.ok) return answer(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.', 'the body is not JSON');
  entry.message = parsed.value?.message ?? null;
  const problems = messageProblems(parsed.value);
  if (problems.length > 0) {
    entry.problems.push(...problems);
    return answer(400, 'INVALID_ARGUMENT', 'Request contains an invalid argument.');
  }
  const scripted = script.next('send');
  if (scripted) {
    entry.answered = play(res, scripted, (a) => (a.errorCode !== undefined || a.body === undefined ? fcmErrorBody(a.status, a.errorCode) : a.body));
    return;
  }
  entry.answered = 200;
  sendJson(res, 200, { name: `projects/${PROJECT_ID}/messages/${messages.length}` });
}

async function handle(req, res, path) {
  if (req.method === 'POST' && path === '/token') return tokenEndpoint(req, res);
  const send = /^\/v1\/projects\/([^/]+)\/messages:send$/.exec(path);
  if (req.method === 'POST' && send) return sendEndpoint(req, res, decodeURIComponent(send[1]));
  await readBody(req);
  sendJson(res, 404, fcmErrorBody(404, undefined, `no such route ${req.method} ${path}`));
}

baseUrl = await serve({
  handle,
  script,
  received: () => ({ grants, messages, failures: [...grants, ...messages].flatMap((r) => r.problems) }),
  reset: () => {
    grants = [];
    messages = [];
    issued = new Map();
  },
  control: {
    '/_control/settings': (body) => {
      if (Number.isFinite(body.tokenLifetimeS) && body.tokenLifetimeS > 0) tokenLifetimeS = body.tokenLifetimeS;
      return { tokenLifetimeS };
    },
    '/_control/revoke-tokens': () => {
      for (const grant of issued.values()) grant.revoked = true;
      return { revoked: issued.size };
    },
  },
});
