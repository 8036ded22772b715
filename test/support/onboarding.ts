import { expect } from 'vitest';
import { buildLedger, type Ledger } from '../../src/composition/ledger.ts';
import { providerKeyPair, testBuildOptions, testConfig } from './ledger.ts';
import { newRsaKeyPair, serviceAccountJson, writeServiceAccount } from './standins.ts';

/** The bootstrap token of environmentLedger's ledgers: outside the simulator it only makes admins. */
export const ENVIRONMENT_BOOTSTRAP = 'environment-bootstrap-token-0123456789abcdef';

/**
 * An integration or production ledger in memory, configured as one would be (its gateways and
 * OpenID Provider are never reached unless a test sends a message or a citizen authenticates), on
 * `clock` when given. Its public URL is https://<environment>.ledger.example unless `env` says.
 */
export async function environmentLedger(
  environment: 'integration' | 'production',
  env: Record<string, string> = {},
  clock?: MovingClock,
): Promise<Ledger> {
  const config = testConfig({
    LEDGER_ENVIRONMENT: environment,
    LEDGER_ADMIN_TOKEN: ENVIRONMENT_BOOTSTRAP,
    LEDGER_PUBLIC_URL: `https://${environment}.ledger.example`,
    OIDC_ISSUER: 'https://idp.example',
    OIDC_CLIENT_ID: 'ledger',
    OIDC_CLIENT_SECRET: 'oidc-client-secret-0123456789abcdef',
    LEDGER_SMS: 'http',
    SMS_HTTP_URL: 'https://sms.example/v1/messages',
    SMS_HTTP_TOKEN: 'gateway-token',
    LEDGER_MOBILE_KEY: 'fcm',
    FCM_SERVICE_ACCOUNT_FILE: writeServiceAccount(
      serviceAccountJson({ projectId: 'ledger-test', clientEmail: 'ledger@ledger-test.iam.gserviceaccount.com', privateKeyId: 'k1', privateKeyPem: newRsaKeyPair().privateKeyPem, tokenUri: 'https://oauth2.example/token' }),
    ),
    ...env,
  });
  const ledger = await buildLedger(config, testBuildOptions({ inMemory: true, ...(clock ? { clock: clock.now } : {}) }));
  await ledger.app.ready();
  return ledger;
}

export const DAY_MS = 24 * 60 * 60 * 1000;

/** The ledger's clock, moved forward by whole days while the test runs (tokens keep the real time). */
export class MovingClock {
  private offsetMs = 0;
  readonly now = (): Date => new Date(Date.now() + this.offsetMs);

  advanceDays(days: number): void {
    this.offsetMs += days * DAY_MS;
  }
}

/** A simulator ledger in memory that reads `clock`. */
export async function ledgerWithClock(clock: MovingClock, env: Record<string, string> = {}): Promise<Ledger> {
  const ledger = await buildLedger(testConfig(env), testBuildOptions({ inMemory: true, clock: clock.now }));
  await ledger.app.ready();
  return ledger;
}

/** A certificate validity instant as `TestCertificates.dated` takes it (YYYYMMDDHHMMSSZ). */
export function certificateInstant(ms: number): string {
  return `${new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
}

/** A named admin with the onboarding and providers roles, taking providers through the admin API. */
export class OnboardingAdmin {
  constructor(
    private readonly ledger: Ledger,
    readonly token: string,
    /** What every application this admin files adds (in integration: skipping the simulator when no simulator record is imported). */
    private readonly filing: { skipSimulator?: boolean } = {},
  ) {}

  async send(method: 'GET' | 'POST', url: string, payload?: object): Promise<{ status: number; body: Record<string, any>; contentType: string }> {
    const res = await this.ledger.app.inject({ method, url, headers: { authorization: `Bearer ${this.token}` }, ...(payload ? { payload } : {}) });
    return { status: res.statusCode, body: res.json() as Record<string, any>, contentType: String(res.headers['content-type']) };
  }

  /** Registers a provider: with a plain key in the simulator, without outside it (certificates sign there). */
  async provider(name: string): Promise<string> {
    const simulator = this.ledger.services.config.environment === 'simulator';
    const res = await this.send('POST', '/api/v1/admin/providers', { name, ...(simulator ? { jwks: { keys: [(await providerKeyPair()).publicJwk] } } : {}) });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return String(res.body.providerId);
  }

  async file(providerId: string, extra: { skipSimulator?: boolean } = {}): Promise<{ applicationId: string; filingSequence: number }> {
    const res = await this.send('POST', `/api/v1/admin/providers/${providerId}/applications`, {
      owner: { name: `Owner of ${providerId}`, registrationNumber: '1234567890' },
      technicalContact: { name: 'Ada Tester', email: 'ada@example.org' },
      ...this.filing,
      ...extra,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { applicationId: string; filingSequence: number };
  }

  async approve(applicationId: string, reason = 'complete'): Promise<void> {
    const res = await this.send('POST', `/api/v1/admin/applications/${applicationId}/approval`, { reason });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  }

  /** A provider registered, filed and approved: access to the ledger's environment from now. */
  async admitted(name: string): Promise<string> {
    const providerId = await this.provider(name);
    // In integration an experienced integrator skips the simulator (else its record must be imported first).
    const skip = this.ledger.services.config.environment === 'integration' ? { skipSimulator: true } : {};
    await this.approve((await this.file(providerId, skip)).applicationId);
    return providerId;
  }

  async certificate(providerId: string, pem: string, purpose: 'signing' | 'transport' = 'signing'): Promise<string> {
    const res = await this.send('POST', `/api/v1/admin/providers/${providerId}/certificates`, { purpose, pem });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return String(res.body.certificateId);
  }
}
