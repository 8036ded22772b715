import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT, exportJWK, generateKeyPair, UnsecuredJWT } from 'jose';
import { randomUUID } from 'node:crypto';
import type { Ledger } from '../../src/composition/ledger.ts';
import { ADMIN_TOKEN, actAsToken, clientAssertion, providerKeyPair, registerProvider, testLedger, type ProviderIdentity } from '../support/ledger.ts';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

describe('provider token endpoint', () => {
  let ledger: Ledger;
  let provider: ProviderIdentity;
  let tokenUrl: string;

  beforeAll(async () => {
    ledger = await testLedger();
    provider = await registerProvider(ledger);
    tokenUrl = `${ledger.services.config.publicUrl}/api/v1/token`;
  });
  afterAll(() => ledger.close());

  const requestToken = (assertion: string, form = false) =>
    ledger.app.inject({
      method: 'POST',
      url: '/api/v1/token',
      ...(form
        ? {
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            payload: new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE, client_assertion: assertion }).toString(),
          }
        : { payload: { grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE, client_assertion: assertion } }),
    });

  const expectRefused = async (assertion: string, reason?: string) => {
    const res = await requestToken(assertion);
    expect([400, 401]).toContain(res.statusCode);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const body = res.json() as { type: string; reason?: string };
    expect(body.type).toMatch(/^urn:problem:act-ledger:(invalid-client|invalid-request)$/);
    if (reason) expect(body.reason).toBe(reason);
    expect(JSON.stringify(body)).not.toContain('access_token');
  };

  it('issues an ActAs token for a valid assertion, form-encoded or JSON', async () => {
    for (const form of [false, true]) {
      const res = await requestToken(await clientAssertion(provider, tokenUrl), form);
      expect(res.statusCode).toBe(200);
      const body = res.json() as { access_token: string; token_type: string; expires_in: number };
      expect(body.token_type).toBe('Bearer');
      expect(body.expires_in).toBe(600);
      expect(res.headers['cache-control']).toBe('no-store');
      const me = await ledger.app.inject({ method: 'GET', url: '/api/v1/provider', headers: { authorization: `Bearer ${body.access_token}` } });
      expect(me.statusCode).toBe(200);
      expect(me.json()).toMatchObject({ providerId: provider.providerId, activeKeyIds: [provider.kid] });
    }
  });

  it('accepts EdDSA provider keys too', async () => {
    const ed = await registerProvider(ledger, { alg: 'EdDSA' });
    expect(await actAsToken(ledger, ed)).toMatch(/^ey/);
  });

  it('refuses an unknown provider', async () => {
    await expectRefused(await clientAssertion({ ...provider, providerId: 'nobody-here' }, tokenUrl), 'provider-unknown');
  });

  it('refuses an assertion signed by a key the provider does not hold', async () => {
    const stranger = await providerKeyPair();
    await expectRefused(await clientAssertion({ ...provider, privateKey: stranger.privateKey }, tokenUrl), 'signature-invalid');
    await expectRefused(await clientAssertion({ ...provider, kid: stranger.kid, privateKey: stranger.privateKey }, tokenUrl), 'key-unknown');
  });

  it('refuses alg none', async () => {
    const now = Math.floor(Date.now() / 1000);
    const unsecured = new UnsecuredJWT({ jti: randomUUID() }).setIssuer(provider.providerId).setSubject(provider.providerId).setAudience(tokenUrl).setIssuedAt(now).setExpirationTime(now + 60).encode();
    await expectRefused(unsecured);
  });

  it('refuses HS256 signed with the public key as the secret', async () => {
    const now = Math.floor(Date.now() / 1000);
    for (const secret of [JSON.stringify(provider.publicJwk), String(provider.publicJwk.x)]) {
      const forged = await new SignJWT({})
        .setProtectedHeader({ alg: 'HS256', kid: provider.kid })
        .setIssuer(provider.providerId)
        .setSubject(provider.providerId)
        .setAudience(tokenUrl)
        .setJti(randomUUID())
        .setIssuedAt(now)
        .setExpirationTime(now + 60)
        .sign(new TextEncoder().encode(secret));
      await expectRefused(forged);
    }
  });

  it('refuses expired, far-future and not-yet-issued assertions', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectRefused(await clientAssertion(provider, tokenUrl, { iat: now - 600, exp: now - 120 }), 'claims-invalid');
    await expectRefused(await clientAssertion(provider, tokenUrl, { exp: now + 3600 }), 'claims-invalid');
    await expectRefused(await clientAssertion(provider, tokenUrl, { iat: now + 600, exp: now + 700 }), 'claims-invalid');
  });

  it('refuses a wrong audience, naming the audience it wants', async () => {
    await expectRefused(await clientAssertion(provider, 'https://elsewhere.example/api/v1/token'), 'claims-invalid');
    await expectRefused(await clientAssertion(provider, `${ledger.services.config.publicUrl}/api/v1/acts`), 'claims-invalid');
    // The usual slip: the ledger asked as localhost while its public URL says 127.0.0.1 (or the other way round).
    const res = await requestToken(await clientAssertion(provider, 'http://localhost:3000/api/v1/token'));
    expect(res.json()).toMatchObject({
      type: 'urn:problem:act-ledger:invalid-client',
      reason: 'claims-invalid',
      detail: `aud must be "${tokenUrl}" (this token endpoint's absolute URL, on the ledger's public URL), not "http://localhost:3000/api/v1/token"`,
    });
  });

  it('refuses a reused jti', async () => {
    const assertion = await clientAssertion(provider, tokenUrl);
    expect((await requestToken(assertion)).statusCode).toBe(200);
    await expectRefused(assertion, 'replayed');
  });

  it('refuses a suspended provider, then accepts it again when reinstated', async () => {
    const p = await registerProvider(ledger);
    const token = await actAsToken(ledger, p);
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const suspend = await ledger.app.inject({ method: 'PUT', url: `/api/v1/admin/providers/${p.providerId}/suspension`, headers: admin, payload: { reason: 'audit' } });
    expect(suspend.statusCode).toBe(200);
    await expectRefused(await clientAssertion(p, tokenUrl), 'provider-suspended');
    const me = await ledger.app.inject({ method: 'GET', url: '/api/v1/provider', headers: { authorization: `Bearer ${token}` } });
    expect(me.statusCode).toBe(403);
    expect((me.json() as { type: string }).type).toBe('urn:problem:act-ledger:provider-suspended');
    await ledger.app.inject({ method: 'DELETE', url: `/api/v1/admin/providers/${p.providerId}/suspension`, headers: admin });
    expect(await actAsToken(ledger, p)).toMatch(/^ey/);
  });

  it('refuses a revoked key but keeps the provider\'s other keys working', async () => {
    const p = await registerProvider(ledger);
    const second = await providerKeyPair('EdDSA');
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const add = await ledger.app.inject({ method: 'POST', url: `/api/v1/admin/providers/${p.providerId}/keys`, headers: admin, payload: { jwk: second.publicJwk } });
    expect(add.statusCode).toBe(201);
    const revoke = await ledger.app.inject({ method: 'POST', url: `/api/v1/admin/providers/${p.providerId}/keys/${p.kid}/revocation`, headers: admin });
    expect(revoke.statusCode).toBe(200);
    await expectRefused(await clientAssertion(p, tokenUrl), 'key-unknown');
    expect(await actAsToken(ledger, { ...p, ...second })).toMatch(/^ey/);
  });

  it('answers a malformed request with problem+json 400', async () => {
    const res = await ledger.app.inject({ method: 'POST', url: '/api/v1/token', payload: { grant_type: 'password' } });
    expect(res.statusCode).toBe(400);
    expect((res.json() as { type: string }).type).toBe('urn:problem:act-ledger:invalid-request');
    await expectRefused('not-a-jwt', 'malformed');
  });
});

describe('ActAs token on other routes', () => {
  let ledger: Ledger;
  let provider: ProviderIdentity;
  beforeAll(async () => {
    ledger = await testLedger();
    provider = await registerProvider(ledger);
  });
  afterAll(() => ledger.close());

  it('is refused on the admin API', async () => {
    const token = await actAsToken(ledger, provider);
    for (const url of ['/api/v1/admin/providers', `/api/v1/admin/providers/${provider.providerId}`]) {
      const res = await ledger.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
      expect(res.statusCode).toBe(403);
      expect(res.headers['content-type']).toMatch(/problem\+json/);
    }
  });

  it('is refused when tampered with or expired', async () => {
    const token = await actAsToken(ledger, provider);
    const [h, p, s] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: 'another-provider' })).toString('base64url')}.${s}`;
    const flippedSig = `${h}.${p}.${s.slice(0, -2)}${s.endsWith('AA') ? 'BB' : 'AA'}`;
    const expired = (await ledger.services.accessTokens.issue(provider.providerId, Date.now() - 3600_000)).token;
    // A token signed by a key the ledger does not hold, with every claim right.
    const { privateKey, publicKey } = await generateKeyPair('EdDSA');
    const foreign = await new SignJWT({ scope: 'acts' })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: ledger.services.keys.current.kid })
      .setIssuer(ledger.services.config.publicUrl)
      .setAudience(`${ledger.services.config.publicUrl}/api/v1`)
      .setSubject(provider.providerId)
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);
    expect(await exportJWK(publicKey)).toBeTruthy();
    for (const bad of [tampered, flippedSig, expired, foreign, 'garbage']) {
      for (const url of ['/api/v1/provider', '/api/v1/admin/providers']) {
        const res = await ledger.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${bad}` } });
        expect(res.statusCode, `${url} with a bad token`).toBeGreaterThanOrEqual(401);
        expect(res.statusCode).toBeLessThan(404);
      }
    }
    const ok = await ledger.app.inject({ method: 'GET', url: '/api/v1/provider', headers: { authorization: `Bearer ${token}` } });
    expect(ok.statusCode).toBe(200);
  });

  it('a token without the at+jwt type is refused', async () => {
    const key = ledger.services.keys.current;
    const { importJWK } = await import('jose');
    const signing = await importJWK(key.privateJwk, 'EdDSA');
    const wrongTyp = await new SignJWT({})
      .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT', kid: key.kid })
      .setIssuer(ledger.services.config.publicUrl)
      .setAudience(`${ledger.services.config.publicUrl}/api/v1`)
      .setSubject(provider.providerId)
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(signing);
    const res = await ledger.app.inject({ method: 'GET', url: '/api/v1/provider', headers: { authorization: `Bearer ${wrongTyp}` } });
    expect(res.statusCode).toBe(401);
  });
});
