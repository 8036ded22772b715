import { expect } from 'vitest';
import { buildLedger, type Ledger } from '../../src/composition/ledger.ts';
import { providerKeyPair, testBuildOptions, testConfig } from './ledger.ts';

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
  ) {}

  async send(method: 'GET' | 'POST', url: string, payload?: object): Promise<{ status: number; body: Record<string, any>; contentType: string }> {
    const res = await this.ledger.app.inject({ method, url, headers: { authorization: `Bearer ${this.token}` }, ...(payload ? { payload } : {}) });
    return { status: res.statusCode, body: res.json() as Record<string, any>, contentType: String(res.headers['content-type']) };
  }

  async provider(name: string): Promise<string> {
    const res = await this.send('POST', '/api/v1/admin/providers', { name, jwks: { keys: [(await providerKeyPair()).publicJwk] } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return String(res.body.providerId);
  }

  async file(providerId: string): Promise<{ applicationId: string; filingSequence: number }> {
    const res = await this.send('POST', `/api/v1/admin/providers/${providerId}/applications`, {
      owner: { name: `Owner of ${providerId}`, registrationNumber: '1234567890' },
      technicalContact: { name: 'Ada Tester', email: 'ada@example.org' },
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
    await this.approve((await this.file(providerId)).applicationId);
    return providerId;
  }

  async certificate(providerId: string, pem: string, purpose: 'signing' | 'transport' = 'signing'): Promise<string> {
    const res = await this.send('POST', `/api/v1/admin/providers/${providerId}/certificates`, { purpose, pem });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return String(res.body.certificateId);
  }
}
