import type { AdminRole } from '../../events/admin.ts';
import type { Ledger } from '../../src/composition/ledger.ts';
import { ADMIN_TOKEN, clientAssertion, providerKeyPair, type ProviderIdentity } from './ledger.ts';

/** A named admin as a test holds it: its id, and the private key its assertions are signed with. */
export interface AdminIdentity extends Omit<ProviderIdentity, 'providerId'> {
  adminId: string;
  roles: AdminRole[];
}

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** Where a test speaks to a ledger: in-process through app.inject, or a server process over HTTP. */
type Target = Ledger | { url: string; publicUrl: string };

async function call(target: Target, method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<{ status: number; body: string }> {
  if ('app' in target) {
    const res = await target.app.inject({ method: method as 'POST', url: path, headers, ...(body === undefined ? {} : { payload: body as object }) });
    return { status: res.statusCode, body: res.body };
  }
  const res = await fetch(`${target.url}${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: await res.text() };
}

const publicUrlOf = (target: Target) => ('app' in target ? target.services.config.publicUrl : target.publicUrl);

/**
 * Creates a named admin with `roles` through the admin API, as the bootstrap token (the test
 * ledger's ADMIN_TOKEN unless `bootstrapToken` says otherwise): allowed in every environment.
 */
export async function createAdmin(
  target: Target,
  roles: AdminRole[],
  options: { name?: string; bootstrapToken?: string; as?: string } = {},
): Promise<AdminIdentity> {
  const pair = await providerKeyPair('EdDSA');
  const token = options.as ?? options.bootstrapToken ?? ADMIN_TOKEN;
  const res = await call(target, 'POST', '/api/v1/admin/admins', { authorization: `Bearer ${token}` }, { name: options.name ?? `Admin ${roles.join('+')}`, jwks: { keys: [pair.publicJwk] }, roles });
  if (res.status !== 201) throw new Error(`admin creation failed: ${res.status} ${res.body}`);
  return { ...pair, roles, adminId: (JSON.parse(res.body) as { adminId: string }).adminId };
}

/** The token endpoint's answer to the admin's client assertion (status and body, for negative tests). */
export async function requestAdminToken(target: Target, admin: AdminIdentity): Promise<{ status: number; body: string }> {
  const assertion = await clientAssertion({ ...admin, providerId: admin.adminId }, `${publicUrlOf(target)}/api/v1/token`);
  return call(target, 'POST', '/api/v1/token', {}, { grant_type: 'client_credentials', client_assertion_type: JWT_BEARER, client_assertion: assertion });
}

/** An admin access token for the named admin, through the token endpoint. */
export async function adminToken(target: Target, admin: AdminIdentity): Promise<string> {
  const res = await requestAdminToken(target, admin);
  if (res.status !== 200) throw new Error(`admin token failed: ${res.status} ${res.body}`);
  return (JSON.parse(res.body) as { access_token: string }).access_token;
}

/** A named admin with `roles` and a token of theirs: what production tests call the admin API with. */
export async function namedAdminToken(target: Target, roles: AdminRole[], options: { bootstrapToken?: string } = {}): Promise<{ admin: AdminIdentity; token: string }> {
  const admin = await createAdmin(target, roles, options);
  return { admin, token: await adminToken(target, admin) };
}
