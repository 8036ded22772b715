import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The services the ledger delivers codes through, stood in for by real HTTP server processes
 * (test/support/standins/*.mjs, Node built-ins only) that speak the protocol and check what they
 * receive. A test scripts their answers and reads what arrived over their control API.
 */

const STANDINS = fileURLToPath(new URL('./standins/', import.meta.url));
const START_TIMEOUT_MS = 20_000;

/** An answer a stand-in gives the next request that passes its checks; `hang` never answers. */
export interface ScriptedAnswer {
  status?: number;
  headers?: Record<string, string>;
  /** JSON (or text) body; for FCM sends, `errorCode` builds FCM's v1 error body instead. */
  body?: unknown;
  /** FCM sends only: the FcmError code of the v1 error body (UNREGISTERED, QUOTA_EXCEEDED...). */
  errorCode?: string;
  hang?: boolean;
}

export interface SmsRequest {
  receivedAt: string;
  /** The client's port: the same port on consecutive requests means the connection was reused. */
  remotePort: number;
  method: string;
  path: string;
  idempotencyKey: string | null;
  /** The JSON body as received (null when it was not JSON). */
  body: { to: string; text: string; reference: string } | null;
  /** Checks the request failed (empty when it was a correct request). */
  problems: string[];
  answered: number | 'hang' | null;
  /** A key the gateway had accepted already: answered 200 with the first id, no second SMS. */
  repeat?: boolean;
}

export interface SmsReceived {
  requests: SmsRequest[];
  /** Every check failure of every request. */
  failures: string[];
}

export interface GoogleGrant {
  receivedAt: string;
  header: Record<string, unknown> | null;
  claims: Record<string, unknown> | null;
  /** The RS256 signature verified with the service account's public key. */
  signatureValid: boolean;
  problems: string[];
  answered: number | 'hang' | null;
}

export interface FcmMessage {
  token: string;
  data: Record<string, string>;
  android: { priority: string; ttl: string };
}

export interface FcmSend {
  receivedAt: string;
  remotePort: number;
  projectId: string;
  message: FcmMessage | null;
  problems: string[];
  answered: number | 'hang' | null;
}

export interface GoogleReceived {
  grants: GoogleGrant[];
  messages: FcmSend[];
  failures: string[];
}

/** A running stand-in process. */
export interface StandIn<Received, Target extends string> {
  /** What the ledger is configured with (SMS_HTTP_URL; FCM_API_URL). */
  url: string;
  /** Where the process listens (its control API is under /_control/). */
  baseUrl: string;
  received(): Promise<Received>;
  /** Queues answers for the next requests that pass the checks, per target. */
  script(target: Target, ...answers: ScriptedAnswer[]): Promise<void>;
  /** Forgets what arrived and what was scripted. */
  reset(): Promise<void>;
  /** Everything the process wrote to stderr. */
  logs(): string;
  stop(): Promise<void>;
}

export interface SmsGatewayStandIn extends StandIn<SmsReceived, 'sms'> {
  /** SMS_HTTP_TOKEN: the bearer token the gateway accepts. */
  token: string;
  /** The ledger's variables for this gateway (LEDGER_SMS, SMS_HTTP_URL, SMS_HTTP_TOKEN). */
  env: Record<string, string>;
}

/** The fields of a service-account JSON file, as Google issues them. */
export interface ServiceAccountFile {
  type: 'service_account';
  project_id: string;
  private_key_id: string;
  private_key: string;
  client_email: string;
  client_id: string;
  auth_uri: string;
  token_uri: string;
  universe_domain: string;
}

export interface GoogleStandIn extends StandIn<GoogleReceived, 'token' | 'send'> {
  /** FCM_SERVICE_ACCOUNT_FILE: a throwaway service account whose public key the stand-in checks grants with. */
  serviceAccountFile: string;
  serviceAccount: ServiceAccountFile;
  tokenUrl: string;
  /** The ledger's variables for this FCM (LEDGER_MOBILE_KEY, FCM_SERVICE_ACCOUNT_FILE, FCM_API_URL). */
  env: Record<string, string>;
  /** How long the access tokens issued from now on live, seconds. */
  setTokenLifetime(seconds: number): Promise<void>;
  /** Every access token issued so far is refused from now on (FCM answers 401). */
  revokeTokens(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Starts the SMS gateway stand-in; `token` defaults to a random one. */
export async function startSmsGateway(options: { token?: string } = {}): Promise<SmsGatewayStandIn> {
  const token = options.token ?? randomBytes(24).toString('base64url');
  const standIn = await launch('sms-gateway.mjs', { SMS_STANDIN_TOKEN: token });
  const url = `${standIn.baseUrl}/v1/messages`;
  return { ...controls<SmsReceived, 'sms'>(standIn, url), token, env: { LEDGER_SMS: 'http', SMS_HTTP_URL: url, SMS_HTTP_TOKEN: token } };
}

/**
 * Starts the Google stand-in (token endpoint and FCM) with a fresh RSA key pair: the private key goes
 * into a service-account file in a temp dir, the stand-in gets only the public key.
 */
export async function startGoogle(options: { projectId?: string; tokenLifetimeS?: number } = {}): Promise<GoogleStandIn> {
  const projectId = options.projectId ?? 'ledger-standin';
  const clientEmail = `ledger-delivery@${projectId}.iam.gserviceaccount.com`;
  const privateKeyId = randomBytes(20).toString('hex');
  const keys = newRsaKeyPair();
  const standIn = await launch('google.mjs', {
    STANDIN_PUBLIC_KEY: keys.publicKeyPem,
    STANDIN_CLIENT_EMAIL: clientEmail,
    STANDIN_PROJECT_ID: projectId,
    STANDIN_KEY_ID: privateKeyId,
    STANDIN_TOKEN_LIFETIME: String(options.tokenLifetimeS ?? 120),
  });
  const tokenUrl = `${standIn.baseUrl}/token`;
  const serviceAccount = serviceAccountJson({ projectId, clientEmail, privateKeyId, privateKeyPem: keys.privateKeyPem, tokenUri: tokenUrl });
  const serviceAccountFile = writeServiceAccount(serviceAccount);
  const base = controls<GoogleReceived, 'token' | 'send'>(standIn, standIn.baseUrl);
  return {
    ...base,
    serviceAccountFile,
    serviceAccount,
    tokenUrl,
    env: { LEDGER_MOBILE_KEY: 'fcm', FCM_SERVICE_ACCOUNT_FILE: serviceAccountFile, FCM_API_URL: standIn.baseUrl },
    setTokenLifetime: async (seconds) => void (await control(standIn.baseUrl, 'settings', { tokenLifetimeS: seconds })),
    revokeTokens: async () => void (await control(standIn.baseUrl, 'revoke-tokens', {})),
  };
}

/** A new RSA-2048 key pair, PEM: PKCS#8 private (as in a service-account file) and SPKI public. */
export function newRsaKeyPair(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

export function serviceAccountJson(fields: { projectId: string; clientEmail: string; privateKeyId: string; privateKeyPem: string; tokenUri: string }): ServiceAccountFile {
  return {
    type: 'service_account',
    project_id: fields.projectId,
    private_key_id: fields.privateKeyId,
    private_key: fields.privateKeyPem,
    client_email: fields.clientEmail,
    client_id: String(BigInt(`0x${randomBytes(8).toString('hex')}`)),
    auth_uri: 'https://accounts.google.com/o/oauth2/auth',
    token_uri: fields.tokenUri,
    universe_domain: 'googleapis.com',
  };
}

/** Writes a service-account JSON (or anything else, to test refusals) to a fresh temp dir, mode 0600. */
export function writeServiceAccount(content: ServiceAccountFile | Record<string, unknown> | string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'ledger-sa-')), 'service-account.json');
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2), { mode: 0o600 });
  return file;
}

interface Launched {
  baseUrl: string;
  logs(): string;
  stop(): Promise<void>;
}

function controls<Received, Target extends string>(standIn: Launched, url: string): StandIn<Received, Target> {
  return {
    url,
    baseUrl: standIn.baseUrl,
    received: async () => {
      const res = await fetch(`${standIn.baseUrl}/_control/received`);
      if (!res.ok) throw new Error(`stand-in at ${standIn.baseUrl} answered ${res.status} for received`);
      return (await res.json()) as Received;
    },
    script: async (target, ...answers) => void (await control(standIn.baseUrl, 'script', { target, answers })),
    reset: async () => void (await control(standIn.baseUrl, 'reset', {})),
    logs: standIn.logs,
    stop: standIn.stop,
  };
}

async function control(baseUrl: string, route: string, body: unknown): Promise<unknown> {
  const res = await fetch(`${baseUrl}/_control/${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const answer = (await res.json()) as unknown;
  if (!res.ok) throw new Error(`stand-in control ${route} answered ${res.status}: ${JSON.stringify(answer)}`);
  return answer;
}

/** Spawns `node <stand-in>` and waits for the URL it prints on its first stdout line. */
async function launch(file: string, env: Record<string, string>): Promise<Launched> {
  const child = spawn(process.execPath, [join(STANDINS, file)], { env: { ...process.env, ...env, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => (running.delete(child), resolve())));
  const baseUrl = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(`${file} printed no URL within ${START_TIMEOUT_MS} ms:\n${stderr}`)), START_TIMEOUT_MS);
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const line = stdout.split('\n')[0];
      if (stdout.includes('\n') && line) {
        clearTimeout(timer);
        resolve(line.trim());
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${file} exited (${code}) before printing its URL:\n${stderr}`));
    });
  });
  return {
    baseUrl,
    logs: () => stderr,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
