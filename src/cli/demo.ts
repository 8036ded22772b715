/**
 * `ledger demo`: a provider's integration, start to end, against a running ledger.
 * It is the example a provider's developer reads first, so it uses nothing but fetch and jose.
 *
 *   ledger demo <file> [--url URL] [--admin-token T] [--person AIFO] [--channel sms|mobile-key] [--authentication]
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import { loadConfig } from '../config.ts';
import { CliError } from './cli-error.ts';

interface Provider {
  providerId: string;
  kid: string;
  privateKey: CryptoKey;
}

export async function demo(argv: string[]): Promise<void> {
  const config = loadConfig();
  const { values, positionals } = demoArgs(argv, config);
  const file = positionals[0];
  const base = values.url!.replace(/\/+$/, '');
  const adminToken = values['admin-token']!;
  if (!file || !adminToken) {
    throw new CliError('usage: ledger demo <file> --admin-token <token printed by `npm start`> [--url URL] [--authentication]');
  }
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const api = async (method: string, path: string, body: unknown, bearer: string, headers: Record<string, string> = {}) => {
    const res = await reach(base, `${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${bearer}`, ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return answerOf(`${method} ${path}`, res);
  };
  /** Polls the act until the code's delivery is no longer pending (at most 30 s). */
  const deliveryOf = async (actId: string, codeId: string, bearer: string): Promise<string> => {
    for (const until = Date.now() + 30_000; ; ) {
      const act = (await api('GET', `/api/v1/acts/${actId}`, undefined, bearer)) as { codes?: Array<{ codeId: string; delivery: string }> };
      const delivery = act.codes?.find((c) => c.codeId === codeId)?.delivery ?? 'pending';
      if (delivery !== 'pending' || Date.now() > until) return delivery;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  // 0. The return URL a browser comes back to after authorization by authentication.
  const returns = await providerReturnServer();

  // 1. At the national point, an admin configures the provider with its public key and return URL.
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const kid = `demo-${randomUUID().slice(0, 8)}`;
  const registered = await api('POST', '/api/v1/admin/providers', { name: 'Demo e-service', jwks: { keys: [{ ...(await exportJWK(publicKey)), kid }] }, returnUrls: [returns.url] }, adminToken);
  const provider: Provider = { providerId: String(registered.providerId), kid, privateKey };
  say(`1. provider registered: ${provider.providerId}`);

  // 2. The provider gets an ActAs token with a client assertion signed by its key (RFC 7523).
  const accessToken = await actAsToken(base, provider);
  say('2. ActAs token received');

  // 3. The provider knows the citizen by a SePP (in the simulator, an admin call tells it).
  const { sepp } = (await api('GET', `/api/v1/admin/citizens/${encodeURIComponent(values.person!)}/sepp?providerId=${provider.providerId}`, undefined, adminToken)) as { sepp: string };

  // 4. Register the act: the document's SHA-256, a name and a description.
  const documentHash = await sha256OfFile(file);
  const act = await api('POST', '/api/v1/acts', { sepp, documentHash, name: `Submission of ${file.split('/').pop()}`.slice(0, 100), description: 'Registered by the demo client' }, accessToken, { 'idempotency-key': randomUUID() });
  const actId = String(act.actId);
  say(`3. act registered: ${actId}, methods: ${(act.methods as string[]).join(', ')}`);

  if (values.authentication) {
    // 5a. Authorization by authentication: send the citizen's browser to the national point.
    const state = randomUUID();
    const url = `${String(act.authorizationUrl)}?redirect_uri=${encodeURIComponent(returns.url)}&state=${state}`;
    say(`4. open this in a browser and log in as the citizen:\n   ${url}`);
    const back = await returns.next();
    if (back.get('state') !== state || back.get('act_id') !== actId) throw new CliError('the browser came back with a different state or act');
    say('5. the browser came back to the provider');
  } else {
    // 5b. Authorization by code: the ledger sends a code and answers its SHA-256 of the defined way.
    const issued = await api('POST', `/api/v1/acts/${actId}/codes`, { channel: values.channel }, accessToken);
    say(`4. code requested by ${values.channel} (delivery ${String(issued.delivery)}); the provider holds its SHA-256 ${String(issued.codeSha256).slice(0, 12)}…`);
    // Delivery is a job: the provider follows the code's delivery on the act until it is sent (or failed).
    const delivery = await deliveryOf(actId, String(issued.codeId), accessToken);
    if (delivery !== 'sent') throw new CliError(`the code was not delivered (${delivery}); request another one`);
    say('   delivery: sent');
    // The citizen reads the code on their phone (here: the simulated phone) and types it in.
    const outbox = (await api('GET', `/api/v1/simulator/outbox?aifo=${encodeURIComponent(values.person!)}`, undefined, adminToken)) as { messages: Array<{ code: string; text: string }> };
    const hashOf = (alg: 'sha256' | 'sha512', code: string) => createHash(alg).update(`${actId}:${code}`, 'utf8').digest('hex');
    const message = outbox.messages.find((m) => hashOf('sha256', m.code) === issued.codeSha256);
    if (!message) throw new CliError('the code is not on the phone; ask the citizen again');
    say(`   the citizen's phone shows: "${message.text}"`);
    const typed = message.code;
    const defined = (alg: 'sha256' | 'sha512') => hashOf(alg, typed);
    const verification = await api('POST', `/api/v1/acts/${actId}/codes/${String(issued.codeId)}/verifications`, { codeSha512: defined('sha512') }, accessToken);
    say(`5. verification: ${String(verification.result)}`);
  }
  returns.close();

  // 6. The result, as the provider asks for it.
  const result = await api('GET', `/api/v1/acts/${actId}`, undefined, accessToken);
  say(`6. result: ${JSON.stringify(result)}`);
  say(`   anyone can now check the file at ${base}/verify`);
}

async function actAsToken(base: string, provider: Provider): Promise<string> {
  const assertion = await new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', kid: provider.kid })
    .setIssuer(provider.providerId)
    .setSubject(provider.providerId)
    .setAudience(`${base}/api/v1/token`)
    .setJti(randomUUID())
    .setIssuedAt()
    .setExpirationTime('2m')
    .sign(provider.privateKey);
  const res = await reach(base, `${base}/api/v1/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    }),
  });
  const body = (await answerOf('POST /api/v1/token', res)) as { access_token?: string };
  if (!body.access_token) throw new CliError(`POST /api/v1/token answered ${res.status} without an access_token`);
  return body.access_token;
}

/** fetch, with a ledger that does not answer said in one line (the usual cause: it is not running there). */
async function reach(base: string, url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new CliError(`cannot reach the ledger at ${base} (${cause?.code ?? cause?.message ?? String(error)}); is \`npm start\` running there? (--url)`);
  }
}

/**
 * The JSON of a 2xx answer; otherwise the refusal as the ledger gave it: its problem `type`, title
 * and detail, which say what to change (and no stack trace of this client).
 */
async function answerOf(what: string, res: Response): Promise<Record<string, unknown>> {
  const text = await res.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON: reported as text below
  }
  if (res.ok && json) return json;
  if (!json) throw new CliError(`${what} answered ${res.status} ${res.statusText}: ${text.slice(0, 300)}`);
  const extra = Object.entries(json).filter(([name]) => !['type', 'title', 'status', 'detail', 'instance'].includes(name));
  throw new CliError(
    [
      `${what} answered ${res.status} ${String(json.type ?? '')}`.trimEnd(),
      ...(json.title ? [`  ${String(json.title)}`] : []),
      ...(json.detail ? [`  ${String(json.detail)}`] : []),
      ...extra.map(([name, value]) => `  ${name}: ${JSON.stringify(value)}`),
    ].join('\n'),
  );
}

function sha256OfFile(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')))
      .on('error', (error) => reject(new CliError(`cannot read ${path}: ${error.message}`)));
  });
}

/** A one-page "provider" on loopback that the citizen's browser returns to. */
async function providerReturnServer(): Promise<{ url: string; next(): Promise<URLSearchParams>; close(): void }> {
  let deliver: ((q: URLSearchParams) => void) | undefined;
  const server = createServer((req, res) => {
    const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('Back at the provider. You can close this window.\n');
    deliver?.(query);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // It keeps the process alive only while a browser is awaited, so a refusal before that ends the run.
  server.unref();
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/return`,
    next: () =>
      new Promise((resolve) => {
        server.ref();
        deliver = (query) => {
          server.unref();
          resolve(query);
        };
      }),
    close: () => server.close(),
  };
}

/**
 * The demo's options. A value that starts with a dash (an admin token may) must be given as
 * `--admin-token=<token>`: node's parser refuses it after a space, and says so here in one line.
 */
function demoArgs(argv: string[], config: { publicUrl: string; adminToken?: string | undefined }) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        url: { type: 'string', default: config.publicUrl },
        'admin-token': { type: 'string', default: config.adminToken ?? '' },
        person: { type: 'string', default: 'test-person-jana' },
        channel: { type: 'string', default: 'sms' },
        authentication: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new CliError(`${message} Give a value that starts with a dash as --option=value, e.g. --admin-token=<token>.`);
  }
}
