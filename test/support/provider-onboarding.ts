import { randomUUID, X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import { expect } from 'vitest';
import type { CertificateProfile, CertificatePurpose, ProviderRecord } from '../../events/provider.ts';
import { certificateAssertion, thumbprintOf } from './certificates.ts';
import { tempDir } from './ledger.ts';

/**
 * A provider's onboarding as named admins do it over a ledger process's admin API: an import of the
 * previous environment's record, an application filed and approved, certificates registered, and in
 * production the connection decision and activation, each proposed by one admin and confirmed by another.
 */

export interface Answer {
  status: number;
  body: Record<string, any>;
}

/** A named admin's token at a ledger process. */
export class AdminSession {
  constructor(
    readonly baseUrl: string,
    readonly token: string,
  ) {}

  async send(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<Answer> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, any>) : {} };
  }
}

export const APPLICATION = { owner: { name: 'Provider s.r.o.', registrationNumber: '44992785' }, technicalContact: { name: 'Ada Tester', email: 'ada@example.org' } };

/** Imports the previous environment's record: the provider is registered here by it. */
export async function importRecord(admin: AdminSession, record: string): Promise<Answer> {
  const imported = await admin.send('POST', '/api/v1/admin/provider-imports', { record });
  expect(imported.status, JSON.stringify(imported.body)).toBe(201);
  return imported;
}

/** Files an application for this ledger's environment and approves it; answers the approval. */
export async function admit(admin: AdminSession, providerId: string, reason = 'complete'): Promise<Answer> {
  const filed = await admin.send('POST', `/api/v1/admin/providers/${providerId}/applications`, APPLICATION);
  expect(filed.status, JSON.stringify(filed.body)).toBe(201);
  const approved = await admin.send('POST', `/api/v1/admin/applications/${String(filed.body.applicationId)}/approval`, { reason });
  expect(approved.status, JSON.stringify(approved.body)).toBe(200);
  return approved;
}

/** Registers each certificate (PEM) for its purpose; answers the registrations. */
export async function registerCertificates(admin: AdminSession, providerId: string, certificates: Partial<Record<CertificatePurpose, string>>): Promise<Answer[]> {
  const answers: Answer[] = [];
  for (const [purpose, pem] of Object.entries(certificates)) {
    const registered = await admin.send('POST', `/api/v1/admin/providers/${providerId}/certificates`, { purpose, pem });
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    answers.push(registered);
  }
  return answers;
}

/** Proposes `path` as `first` and confirms it as `second` (the proposer may not): answers the applied change. */
export async function confirmedByFourEyes(first: AdminSession, second: AdminSession, path: string, body?: object): Promise<Record<string, any>> {
  const proposed = await first.send('POST', path, body);
  expect(proposed.status, JSON.stringify(proposed.body)).toBe(202);
  expect(proposed.body).toMatchObject({ status: 'awaiting-confirmation' });
  const confirmation = `/api/v1/admin/changes/${String(proposed.body.changeId)}/confirmation`;
  expect((await first.send('POST', confirmation)).body.type).toBe('urn:problem:act-ledger:change-self-confirmation');
  const confirmed = await second.send('POST', confirmation);
  expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
  expect(confirmed.body.status).toBe('applied');
  return confirmed.body;
}

/** Production: the connection approved, then the provider activated, each confirmed by `second`. */
export async function decideAndActivate(first: AdminSession, second: AdminSession, providerId: string): Promise<void> {
  const decided = await confirmedByFourEyes(first, second, `/api/v1/admin/providers/${providerId}/connection-decision`, { decision: 'approve', reason: 'conformance passed in integration' });
  expect(decided).toMatchObject({ kind: 'provider-connection-decision', result: { providerId, connection: { decision: 'approve' } } });
  await confirmedByFourEyes(first, second, `/api/v1/admin/providers/${providerId}/production-activation`);
}

/** A certificate and its private key, as PEM, with the JOSE algorithm the key signs with. */
export interface SigningCertificate {
  certificatePem: string;
  privateKeyPem: string;
  alg: 'ES256' | 'ES384' | 'RS256' | 'EdDSA';
}

/** The token endpoint's answer to a client assertion signed by `certificate`'s key, naming it by `x5t#S256`. */
export async function certificateToken(baseUrl: string, publicUrl: string, providerId: string, certificate: SigningCertificate): Promise<Answer> {
  const assertion = await certificateAssertion({ providerId, ...certificate, audience: `${publicUrl}/api/v1/token` });
  const res = await fetch(`${baseUrl}/api/v1/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

/**
 * An integration ledger as a production ledger's import sees it, for a test that runs none: an
 * Ed25519 key whose public half is published in a file (LEDGER_PREVIOUS_ENVIRONMENT_JWKS), and
 * provider records signed with it as src/app/providers/record-transfer.ts exports them.
 */
export class IntegrationRecordSigner {
  private constructor(
    readonly jwksFile: string,
    readonly issuer: string,
    private readonly kid: string,
    private readonly privateKey: CryptoKey,
  ) {}

  static async create(issuer = 'https://integration.ledger.test'): Promise<IntegrationRecordSigner> {
    const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const kid = `integration-${randomUUID().slice(0, 8)}`;
    const jwksFile = join(tempDir('integration-jwks-'), 'jwks.json');
    writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' }] }));
    return new IntegrationRecordSigner(jwksFile, issuer, kid, privateKey);
  }

  /** The JWS an export would answer: `record` about `providerId`, for production, for 14 days. */
  async sign(providerId: string, record: ProviderRecord): Promise<string> {
    const iat = Math.floor(Date.now() / 1000);
    return new SignJWT({ record })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'provider-record+jwt', kid: this.kid })
      .setIssuer(this.issuer)
      .setSubject(providerId)
      .setAudience('production')
      .setJti(randomUUID())
      .setIssuedAt(iat)
      .setExpirationTime(iat + 14 * 24 * 60 * 60)
      .sign(this.privateKey);
  }
}

/**
 * What an integration ledger exports of a provider that passed conformance in the simulator and in
 * integration, approved in both, with `certificates` registered in integration under the profiles given.
 */
export function passedIntegrationRecord(provider: { name: string; returnUrls: string[] }, certificates: Array<{ purpose: CertificatePurpose; pem: string; profile: CertificateProfile }>): ProviderRecord {
  const at = (daysAgo: number) => new Date(Date.now() - daysAgo * 24 * 60 * 60 * 1000).toISOString();
  const application = (environment: 'simulator' | 'integration', filingSequence: number, daysAgo: number) => ({
    applicationId: randomUUID(),
    environment,
    filingSequence,
    skipSimulator: false,
    filedAt: at(daysAgo),
    status: 'approved' as const,
    decidedBy: 'admin:onboarding-officer',
    decidedAt: at(daysAgo - 1),
  });
  return {
    environment: 'integration',
    provider,
    conformance: { simulator: at(30), integration: at(3) },
    applications: [application('simulator', 1, 40), application('integration', 1, 25)],
    certificates: certificates.map(({ purpose, pem, profile }) => {
      const certificate = new X509Certificate(pem);
      return {
        environment: 'integration' as const,
        purpose,
        thumbprintSha256: thumbprintOf(pem),
        subject: certificate.subject.replace(/\n/g, ', '),
        notBefore: new Date(certificate.validFrom).toISOString(),
        notAfter: new Date(certificate.validTo).toISOString(),
        profile,
        revoked: false,
      };
    }),
    importedFrom: { issuer: 'https://simulator.ledger.test', environment: 'simulator', exportId: randomUUID() },
  };
}
