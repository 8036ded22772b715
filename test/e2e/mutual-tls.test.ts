import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { CLIENT_ASSERTION_TYPE } from '../../src/app/providers/client-assertions.ts';
import { clientAssertion, providerKeyPair, type ProviderIdentity } from '../support/ledger.ts';
import { startServer, type RunningServer } from '../support/server.ts';
import { TestCertificates, thumbprintOf } from '../support/certificates.ts';
import { httpsRequest, type TlsIdentity } from '../support/tls-client.ts';

/**
 * A real ledger process serving HTTPS with client certificates (LEDGER_TLS_CERT, LEDGER_TLS_KEY,
 * LEDGER_TLS_CLIENT_CA): provider routes and the token endpoint need one of the provider's
 * registered transport certificates, issued under the client CA, and ActAs tokens are bound to the
 * certificate they were asked for over (RFC 8705 `cnf.x5t#S256`).
 */
describe('mutual TLS: transport certificates and certificate-bound tokens', () => {
  const certificates = new TestCertificates();
  let ledger: RunningServer;
  let serverCa: string;
  const client: Record<string, TlsIdentity> = {};
  let alpha: ProviderIdentity;
  let beta: ProviderIdentity;

  const pemOf = (name: string) => certificates.privateKey(name);
  const identity = (name: string, pem: string): TlsIdentity => ({ ca: serverCa, cert: pem, key: pemOf(name) });
  const anonymous = (): TlsIdentity => ({ ca: serverCa });

  const call = (who: TlsIdentity, method: string, path: string, options: { token?: string; json?: unknown; form?: Record<string, string> } = {}) =>
    httpsRequest(`${ledger.url}${path}`, who, {
      method,
      headers: {
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...(options.json !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(options.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(options.json !== undefined ? { body: JSON.stringify(options.json) } : {}),
      ...(options.form ? { body: new URLSearchParams(options.form).toString() } : {}),
    });

  const admin = (method: string, path: string, json?: unknown) => call(anonymous(), method, path, { token: ledger.adminToken, ...(json !== undefined ? { json } : {}) });

  async function registerProvider(name: string): Promise<ProviderIdentity> {
    const pair = await providerKeyPair();
    const res = await admin('POST', '/api/v1/admin/providers', { name, jwks: { keys: [pair.publicJwk] } });
    expect(res.status, res.body).toBe(201);
    return { ...pair, providerId: res.json<{ providerId: string }>().providerId };
  }

  async function registerTransport(provider: ProviderIdentity, pem: string): Promise<void> {
    const res = await admin('POST', `/api/v1/admin/providers/${provider.providerId}/certificates`, { purpose: 'transport', pem });
    expect(res.status, res.body).toBe(201);
  }

  async function askToken(provider: ProviderIdentity, over: TlsIdentity) {
    const assertion = await clientAssertion(provider, `${ledger.url}/api/v1/token`);
    return call(over, 'POST', '/api/v1/token', { form: { grant_type: 'client_credentials', client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: assertion } });
  }

  beforeAll(async () => {
    serverCa = certificates.authority('server-ca');
    certificates.issued('ledger-server', 'server-ca', 'server');
    certificates.authority('client-ca');
    certificates.authority('rogue-ca');
    for (const name of ['alpha-1', 'alpha-2', 'beta-1']) client[name] = identity(name, certificates.issued(name, 'client-ca', 'client'));
    client['rogue'] = identity('rogue', certificates.issued('rogue', 'rogue-ca', 'client'));

    ledger = await startServer(
      {
        LEDGER_TLS_CERT: certificates.file('ledger-server'),
        LEDGER_TLS_KEY: certificates.file('ledger-server', 'key'),
        LEDGER_TLS_CLIENT_CA: certificates.file('client-ca'),
      },
      { tlsCa: serverCa },
    );
    alpha = await registerProvider('Alpha e-service');
    beta = await registerProvider('Beta e-service');
    await registerTransport(alpha, client['alpha-1']!.cert!);
    await registerTransport(alpha, client['alpha-2']!.cert!);
    await registerTransport(beta, client['beta-1']!.cert!);
    // Registered, but not issued under the client CA: the handshake does not vouch for it.
    await registerTransport(alpha, client['rogue']!.cert!);
  }, 120_000);

  afterAll(async () => {
    await ledger?.stop();
    certificates.remove();
  });

  it('binds the token to the client certificate it was asked for over, and takes it over that certificate', async () => {
    const issued = await askToken(alpha, client['alpha-1']!);
    expect(issued.status, issued.body).toBe(200);
    const token = issued.json<{ access_token: string }>().access_token;
    expect(decodeJwt(token).cnf).toEqual({ 'x5t#S256': thumbprintOf(client['alpha-1']!.cert!) });
    const profile = await call(client['alpha-1']!, 'GET', '/api/v1/provider', { token });
    expect(profile.status, profile.body).toBe(200);
    expect(profile.json()).toMatchObject({ providerId: alpha.providerId });
  });

  it("refuses the token over another of the provider's certificates, and over another provider's", async () => {
    const token = (await askToken(alpha, client['alpha-1']!)).json<{ access_token: string }>().access_token;
    const otherOwn = await call(client['alpha-2']!, 'GET', '/api/v1/provider', { token });
    expect(otherOwn.status).toBe(401);
    expect(otherOwn.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(otherOwn.json()).toMatchObject({ type: 'urn:problem:act-ledger:token-certificate-mismatch' });
    const theirs = await call(client['beta-1']!, 'GET', '/api/v1/provider', { token });
    expect(theirs.status).toBe(403);
    expect(theirs.json()).toMatchObject({ type: 'urn:problem:act-ledger:client-certificate-unknown' });
    // Nor may a provider ask for a token over a certificate that is not its own.
    const borrowed = await askToken(alpha, client['beta-1']!);
    expect(borrowed.status).toBe(403);
    expect(borrowed.json()).toMatchObject({ type: 'urn:problem:act-ledger:client-certificate-unknown' });
  });

  it('needs a client certificate the client CA issued, for tokens and for provider routes', async () => {
    const none = await askToken(alpha, anonymous());
    expect(none.status).toBe(401);
    expect(none.json()).toMatchObject({ type: 'urn:problem:act-ledger:client-certificate-required' });
    const rogue = await askToken(alpha, client['rogue']!);
    expect(rogue.status).toBe(401);
    expect(rogue.json()).toMatchObject({ type: 'urn:problem:act-ledger:client-certificate-required' });

    const token = (await askToken(alpha, client['alpha-1']!)).json<{ access_token: string }>().access_token;
    const bare = await call(anonymous(), 'GET', '/api/v1/provider', { token });
    expect(bare.status).toBe(401);
    expect(bare.json()).toMatchObject({ type: 'urn:problem:act-ledger:client-certificate-required' });
    // A body is never read for a refused caller: registering an act without the certificate records nothing.
    const act = await call(anonymous(), 'POST', '/api/v1/acts', { token, json: { sepp: 'x', documentHash: 'a'.repeat(64), name: 'n' } });
    expect(act.status).toBe(401);
    const conformance = await call(client['alpha-1']!, 'GET', '/api/v1/provider/conformance', { token });
    expect(conformance.status, conformance.body).toBe(200);
    expect(conformance.json()).toMatchObject({ missing: expect.arrayContaining(['act-registered']) });
  });

  it('lets citizens and the public in without a certificate', async () => {
    const page = await call(anonymous(), 'GET', '/verify');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect((await call(anonymous(), 'GET', '/.well-known/jwks.json')).status).toBe(200);
  });
});
