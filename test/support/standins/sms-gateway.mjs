// A stand-in for the SMS gateway of the README's contract, run as its own process by the tests:
//   POST /v1/messages, Authorization: Bearer $SMS_STANDIN_TOKEN, Idempotency-Key equal to `reference`,
//   JSON exactly { to (E.164), text, reference }.
// A request failing a check is answered as a strict gateway would (401, 415, 400) and its problems
// recorded; one passing takes the next scripted answer, or is accepted (202). A key accepted before
// is answered 200 with the first id and no second SMS, as an idempotent gateway does.
import { isPlainObject, parseJson, play, readBody, sameSecret, Script, sendJson, serve } from './control.mjs';

const TOKEN = process.env.SMS_STANDIN_TOKEN;
if (!TOKEN) {
  process.stderr.write('SMS_STANDIN_TOKEN is not set\n');
  process.exit(2);
}
const PATH = '/v1/messages';
const E164 = /^\+[1-9]\d{1,14}$/;

const script = new Script();
let requests = [];
let acceptedKeys = new Map();

async function handle(req, res, path) {
  const entry = { receivedAt: new Date().toISOString(), remotePort: req.socket.remotePort, method: req.method, path, idempotencyKey: req.headers['idempotency-key'] ?? null, body: null, problems: [], answered: null };
  requests.push(entry);
  const refuse = (status, problem) => {
    entry.problems.push(problem);
    entry.answered = status;
    sendJson(res, status, { error: problem });
  };
  const raw = await readBody(req);
  if (req.method !== 'POST' || path !== PATH) return refuse(404, `unexpected ${req.method} ${path} (messages are POSTed to ${PATH})`);
  const auth = req.headers.authorization ?? '';
  if (!auth.startsWith('Bearer ') || !sameSecret(auth.slice(7), TOKEN)) return refuse(401, auth ? 'wrong bearer token' : 'no Authorization header');
  if (!/^application\/json(;|$)/.test(req.headers['content-type'] ?? '')) return refuse(415, `content-type is ${req.headers['content-type'] ?? 'missing'}, not application/json`);
  if (raw === undefined) return refuse(413, 'body too large');
  const parsed = parseJson(raw);
  if (!parsed.ok) return refuse(400, 'body is not JSON');
  const body = parsed.value;
  entry.body = body;
  const problems = [];
  if (!isPlainObject(body)) problems.push('body is not a JSON object');
  else {
    const keys = Object.keys(body).sort().join(',');
    if (keys !== 'reference,text,to') problems.push(`body has the fields ${keys}, not exactly to, text, reference`);
    if (typeof body.to !== 'string' || !E164.test(body.to)) problems.push('"to" is not an E.164 number');
    if (typeof body.text !== 'string' || body.text.length === 0) problems.push('"text" is not a non-empty string');
    if (typeof body.reference !== 'string' || body.reference.length === 0) problems.push('"reference" is not a non-empty string');
    else if (entry.idempotencyKey !== body.reference) problems.push('Idempotency-Key is not the reference');
  }
  if (problems.length > 0) {
    entry.problems.push(...problems);
    entry.answered = 400;
    return sendJson(res, 400, { error: problems.join('; ') });
  }
  const earlier = acceptedKeys.get(body.reference);
  if (earlier) {
    entry.repeat = true;
    entry.answered = 200;
    return sendJson(res, 200, { id: earlier, status: 'accepted' });
  }
  const scripted = script.next('sms');
  if (scripted) {
    entry.answered = play(res, scripted);
    if (typeof entry.answered === 'number' && entry.answered >= 200 && entry.answered < 300) acceptedKeys.set(body.reference, `sms-${requests.length}`);
    return;
  }
  const id = `sms-${requests.length}`;
  acceptedKeys.set(body.reference, id);
  entry.answered = 202;
  sendJson(res, 202, { id, status: 'accepted' });
}

await serve({
  handle,
  script,
  received: () => ({ requests, failures: requests.flatMap((r) => r.problems) }),
  reset: () => {
    requests = [];
    acceptedKeys = new Map();
  },
});
