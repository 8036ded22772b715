import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import pino from 'pino';
import { buildLedger, type Ledger } from '../src/app/composition.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';

/** The real ledger, built as `ledger serve` builds it, on a temp data dir, listening on loopback. */
export interface LedgerUnderLoad {
  ledger: Ledger;
  url: string;
  adminToken: string;
  registerProvider(): Promise<BenchProvider>;
  close(): Promise<void>;
}

export interface BenchProvider {
  providerId: string;
  /** Client assertions signed ahead of time, each with its own jti. */
  signAssertions(count: number): Promise<string[]>;
  /** An ActAs token got through POST /api/v1/token. */
  accessToken(): Promise<string>;
}

export async function startLedgerUnderLoad(): Promise<LedgerUnderLoad> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ledger-bench-'));
  const adminToken = randomBytes(18).toString('base64url');
  const config = loadConfig({
    HOST: '127.0.0.1',
    PORT: '0',
    LEDGER_DATA_DIR: dataDir,
    LEDGER_ADMIN_TOKEN: adminToken,
    // The load comes from one loopback client; per-client limits would measure only the 429 path.
    LEDGER_RATE_LIMIT_ALLOW: '127.0.0.1',
    // The code-flow bench sends thousands of codes to a few test persons.
    LEDGER_CODE_SENDS_PER_HOUR: '100000',
  });
  // Request logs are written as in production (info), to /dev/null instead of the terminal.
  const ledger = await buildLedger(config, { logger: createLogger('info', pino.destination({ dest: '/dev/null', sync: false })) });
  const address = await ledger.app.listen({ host: '127.0.0.1', port: 0 });
  const tokenUrl = `${config.publicUrl}/api/v1/token`;

  const registerProvider = async (): Promise<BenchProvider> => {
    const { privateKey, publicKey } = await generateKeyPair('EdDSA');
    const kid = `bench-${randomUUID().slice(0, 8)}`;
    const res = await ledger.app.inject({
      method: 'POST',
      url: '/api/v1/admin/providers',
      headers: { authorization: `Bearer ${adminToken}` },
      payload: { name: 'Benchmark e-service', jwks: { keys: [{ ...(await exportJWK(publicKey)), kid }] } },
    });
    if (res.statusCode !== 201) throw new Error(`provider registration failed: ${res.statusCode} ${res.body}`);
    const providerId = (res.json() as { providerId: string }).providerId;
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
        const token = await ledger.app.inject({ method: 'POST', url: '/api/v1/token', payload: tokenForm(assertion!) });
        if (token.statusCode !== 200) throw new Error(`token request failed: ${token.statusCode} ${token.body}`);
        return (token.json() as { access_token: string }).access_token;
      },
    };
  };

  return {
    ledger,
    url: address,
    adminToken,
    registerProvider,
    close: async () => {
      await ledger.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The form body of a client-credentials token request. */
export function tokenForm(assertion: string): Record<string, string> {
  return { grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion };
}
