import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import { startServer } from '../test/support/server.ts';

/** A real `ledger serve` process on the embedded default (SQLite) and a fresh temp data dir, on loopback. */
export interface LedgerUnderLoad {
  url: string;
  dataDir: string;
  /** The server's process id. */
  pid: number;
  /** `authorization: Bearer <admin token>`, for the admin and simulator API. */
  adminHeaders: Record<string, string>;
  registerProvider(): Promise<BenchProvider>;
  /** Adds a test person (POST /api/v1/admin/citizens); answers the AIFO. */
  addPerson(person: TestPerson): Promise<string>;
  /** The SePP the provider knows the person by. */
  seppOf(aifo: string, providerId: string): Promise<string>;
  /** The newest code on the person's simulated phone. */
  lastCodeSentTo(aifo: string): Promise<string>;
  /** The projection runner's figures, as /readyz reports them. */
  projections(): Promise<ProjectionFigures>;
  /** Stops the process and removes its data dir (unless the caller gave it). */
  close(): Promise<void>;
}

export interface TestPerson {
  displayName?: string;
  country?: string;
  phone?: string;
  phoneVerified?: boolean;
  phoneAllowed?: boolean;
}

/** The part of `checks.projections` in /readyz the bench reads. */
export interface ProjectionFigures {
  headPosition: number;
  position: number;
  lagEvents: number;
  lagMsP99: number | null;
}

export interface BenchProvider {
  providerId: string;
  /** Client assertions signed ahead of time, each with its own jti. */
  signAssertions(count: number): Promise<string[]>;
  /** An ActAs token got through POST /api/v1/token. */
  accessToken(): Promise<string>;
}

const dataDirs = new Set<string>();
// The children are killed by test/support/server.ts on exit; their data dirs go too.
process.once('exit', () => {
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * Starts `ledger serve` for a load test: request logs written at info (to /dev/null), loopback exempt
 * from rate limits. On a fresh temp data dir, or on `dataDir` (a store seeded beforehand), which then
 * stays for the caller to read and remove.
 */
export async function startLedgerUnderLoad(options: { dataDir?: string } = {}): Promise<LedgerUnderLoad> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'ledger-bench-'));
  if (!options.dataDir) dataDirs.add(dataDir);
  const removeDataDir = () => {
    if (options.dataDir) return;
    rmSync(dataDir, { recursive: true, force: true });
    dataDirs.delete(dataDir);
  };
  const adminToken = randomBytes(18).toString('base64url');
  const env = {
    LEDGER_ADMIN_TOKEN: adminToken,
    // What is measured is the embedded default, whatever the shell around the bench sets.
    LEDGER_ENVIRONMENT: 'simulator',
    LEDGER_EVENT_STORE: 'sqlite',
    LEDGER_READ_MODELS: 'sqlite',
    LEDGER_JOBS: 'inprocess',
    LOG_LEVEL: 'info',
    // The load comes from one loopback client; per-client limits would measure only the 429 path.
    LEDGER_RATE_LIMIT_ALLOW: '127.0.0.1',
    // The code-flow bench sends thousands of codes to a few test persons.
    LEDGER_CODE_SENDS_PER_HOUR: '100000',
  };
  // A grown store may take longer to open than the 30 s a fresh one is given.
  const server = await startServer(env, { dataDir, output: 'discard', ...(options.dataDir ? { startTimeoutMs: 600_000 } : {}) }).catch((error: unknown) => {
    removeDataDir();
    throw error;
  });
  const { url, pid } = server;
  const adminHeaders = { authorization: `Bearer ${adminToken}` };

  return {
    url,
    dataDir,
    pid,
    adminHeaders,
    registerProvider: () => registerProvider(url, adminHeaders),
    addPerson: async (person) => (await call<{ aifo: string }>(`${url}/api/v1/admin/citizens`, 201, { method: 'POST', headers: adminHeaders, json: person })).aifo,
    seppOf: async (aifo, providerId) =>
      (await call<{ sepp: string }>(`${url}/api/v1/admin/citizens/${encodeURIComponent(aifo)}/sepp?providerId=${encodeURIComponent(providerId)}`, 200, { headers: adminHeaders })).sepp,
    lastCodeSentTo: async (aifo) => {
      // Codes are delivered by a task after the code request answers: wait a little for the first one.
      for (let poll = 0; poll < 100; poll++) {
        const { messages } = await call<{ messages: Array<{ code: string }> }>(`${url}/api/v1/simulator/outbox?aifo=${encodeURIComponent(aifo)}`, 200, { headers: adminHeaders });
        const last = messages.at(-1);
        if (last) return last.code;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`no message on the phone of ${aifo}`);
    },
    projections: async () => {
      // 503 while a part is not ready still carries the figures.
      const res = await fetch(`${url}/readyz`);
      return ((await res.json()) as { checks: { projections: ProjectionFigures } }).checks.projections;
    },
    close: async () => {
      await server.stop();
      removeDataDir();
    },
  };
}

/** One JSON (or form) request; throws with the answer unless it has the expected status. */
export async function call<T>(url: string, expected: number, init: { method?: string; headers?: Record<string, string>; json?: unknown; form?: Record<string, string> } = {}): Promise<T> {
  const body = init.json !== undefined ? JSON.stringify(init.json) : init.form ? new URLSearchParams(init.form).toString() : undefined;
  const contentType = init.json !== undefined ? 'application/json' : init.form ? 'application/x-www-form-urlencoded' : undefined;
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    headers: { ...init.headers, ...(contentType ? { 'content-type': contentType } : {}) },
    ...(body !== undefined ? { body } : {}),
  });
  const text = await res.text();
  if (res.status !== expected) throw new Error(`${init.method ?? 'GET'} ${new URL(url).pathname}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

/** A provider with an Ed25519 key, registered through the admin API. */
async function registerProvider(url: string, adminHeaders: Record<string, string>): Promise<BenchProvider> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA');
  const kid = `bench-${randomUUID().slice(0, 8)}`;
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid }] };
  const { providerId } = await call<{ providerId: string }>(`${url}/api/v1/admin/providers`, 201, { method: 'POST', headers: adminHeaders, json: { name: 'Benchmark e-service', jwks } });
  // The audience is the ledger's token URL: LEDGER_PUBLIC_URL, which defaults to where it listens.
  const tokenUrl = `${url}/api/v1/token`;
  const sign = (key: CryptoKey) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({}).setProtectedHeader({ alg: 'EdDSA', kid }).setIssuer(providerId).setSubject(providerId)
      .setAudience(tokenUrl).setJti(randomUUID()).setIssuedAt(now).setExpirationTime(now + 240).sign(key);
  };
  const signAssertions = (count: number) => Promise.all(Array.from({ length: count }, () => sign(privateKey)));
  return {
    providerId,
    signAssertions,
    accessToken: async () => {
      const [assertion] = await signAssertions(1);
      return (await call<{ access_token: string }>(tokenUrl, 200, { method: 'POST', form: tokenForm(assertion!) })).access_token;
    },
  };
}

/** The form body of a client-credentials token request. */
export function tokenForm(assertion: string): Record<string, string> {
  return { grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion };
}
