import { clientAssertion, providerKeyPair, type ProviderIdentity } from './ledger.ts';
import type { RunningServer } from './server.ts';

export interface ApiAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** JSON calls to a running ledger, as a provider or an admin makes them (bearer token, JSON body). */
export function httpApi(baseUrl: string): (method: string, path: string, body: unknown, bearer: string) => Promise<ApiAnswer> {
  return async (method, path, body, bearer) => {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${bearer}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
}

/** Registers a provider with a fresh key (bootstrap admin token) and gets it an ActAs token, over HTTP. */
export async function providerOverHttp(server: RunningServer, name: string): Promise<{ provider: ProviderIdentity; token: string }> {
  const api = httpApi(server.url);
  const pair = await providerKeyPair();
  const created = await api('POST', '/api/v1/admin/providers', { name, jwks: { keys: [pair.publicJwk] } }, server.adminToken);
  if (created.status !== 201) throw new Error(`registering the provider answered ${created.status}: ${JSON.stringify(created.body)}`);
  const provider = { ...pair, providerId: String(created.body.providerId) };
  const res = await fetch(`${server.url}/api/v1/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: await clientAssertion(provider, `${server.url}/api/v1/token`),
    }),
  });
  if (res.status !== 200) throw new Error(`the token request answered ${res.status}: ${await res.text()}`);
  return { provider, token: ((await res.json()) as { access_token: string }).access_token };
}
