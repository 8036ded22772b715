import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { decodeProtectedHeader } from 'jose';
import { ADMIN_TOKEN_TYPE, InvalidAccessTokenError, type AccessTokens } from '../app/providers/access-tokens.ts';
import type { AdminDirectory } from '../app/admins/admin-directory.ts';
import type { ProviderDirectory } from '../app/providers/provider-directory.ts';
import { TransportRefusedError, type ActAsGrants } from '../app/providers/act-as-grants.ts';
import { clientCertificateThumbprint } from './client-certificate.ts';
import { HttpProblem, type ProblemName } from './problems.ts';
import { problemResponses } from './problem-docs.ts';
import { ADMIN_ROLES, BOOTSTRAP_ADMIN_ID, adminActor, type AdminRole } from '../../events/admin.ts';
import type { LedgerConfig } from '../config.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the provider guard: the provider the ActAs token was issued to. */
    providerId?: string;
    /** Set by the admin guard: who is calling, with which roles. */
    admin?: AdminPrincipal;
  }
}

/** The caller of an admin route: a named admin, or the bootstrap credential (`adminId` "bootstrap"). */
export interface AdminPrincipal {
  adminId: string;
  roles: readonly AdminRole[];
  bootstrap: boolean;
}

/**
 * What the bootstrap credential (LEDGER_ADMIN_TOKEN) may do: everything in the simulator environment
 * (integrators need no ceremony); elsewhere only make, suspend and revoke admins, so the first named
 * admins can be made.
 */
export function bootstrapRoles(environment: LedgerConfig['environment']): readonly AdminRole[] {
  return environment === 'simulator' ? ADMIN_ROLES : ['admins'];
}

/** What the admin guard needs: the bootstrap credential and environment, the admin directory, admin tokens. */
export interface AdminAccessServices {
  config: Pick<LedgerConfig, 'adminToken' | 'environment' | 'auditorToken'>;
  admins: Pick<AdminDirectory, 'get'>;
  adminTokens: Pick<AccessTokens, 'verify'>;
}

export interface AdminAccessOptions {
  /**
   * The route manages admins (create, suspend, revoke a key): the bootstrap credential may call it in
   * every environment. Without this it may call a route only in the simulator.
   */
  bootstrap?: 'admin-management';
}

/** What the admin guard refuses with: every admin route documents these. */
export const ADMIN_ACCESS_PROBLEMS: readonly ProblemName[] = ['unauthorized', 'invalid-token', 'forbidden', 'auditor-token-not-accepted', 'bootstrap-token-limited', 'missing-role', 'admin-suspended'];

/**
 * Admin routes requiring `role`, for the bootstrap credential (compared in constant time) or a named
 * admin's access token (`POST /api/v1/token`, typ admin+jwt). A named admin is looked up on every
 * request, so roles and suspension apply at once, not when the token expires. Runs `onRequest`,
 * before the body is read. Sets `request.admin`. `any`: every admin, for routes whose role depends
 * on what they touch (a four-eyes confirmation needs the role of its change) and that check it themselves.
 */
export function adminAccess(services: AdminAccessServices, role: AdminRole | 'any', options: AdminAccessOptions = {}): onRequestAsyncHookHandler {
  const { config } = services;
  return async (request: FastifyRequest) => {
    const token = bearer(request);
    if (!token) throw new HttpProblem('unauthorized', 'admin bearer token required', {}, { 'www-authenticate': 'Bearer realm="admin"' });
    refuseAuditorToken(config, token);
    let principal: AdminPrincipal;
    if (config.adminToken && secretEquals(token, config.adminToken)) {
      if (config.environment !== 'simulator' && options.bootstrap !== 'admin-management') {
        throw new HttpProblem(
          'bootstrap-token-limited',
          `in the ${config.environment} environment the bootstrap token (LEDGER_ADMIN_TOKEN) may only create admins, suspend them and revoke their keys; ` +
            'call this route with a named admin\'s access token (ledger admin token)',
        );
      }
      principal = { adminId: BOOTSTRAP_ADMIN_ID, roles: bootstrapRoles(config.environment), bootstrap: true };
    } else {
      principal = await namedAdmin(services, token);
    }
    if (role !== 'any' && !principal.roles.includes(role)) {
      throw new HttpProblem('missing-role', `this route needs the ${role} role, which admin ${principal.adminId} does not hold`, { role });
    }
    request.admin = principal;
  };
}

async function namedAdmin(services: AdminAccessServices, token: string): Promise<AdminPrincipal> {
  let adminId: string;
  try {
    ({ subject: adminId } = await services.adminTokens.verify(token));
  } catch (error) {
    if (!(error instanceof InvalidAccessTokenError)) throw error;
    // An admin token past its time asks for a new one (401); anything else is no admin credential at all (403).
    if (looksLikeAdminToken(token)) {
      throw new HttpProblem('invalid-token', 'the admin access token is invalid or expired', {}, { 'www-authenticate': 'Bearer realm="admin", error="invalid_token"' });
    }
    throw new HttpProblem('forbidden', 'this token does not grant admin access');
  }
  const admin = await services.admins.get(adminId);
  if (!admin.exists) throw new HttpProblem('invalid-token', 'the access token names an unknown admin');
  if (admin.suspended) throw new HttpProblem('admin-suspended', 'this admin is suspended');
  return { adminId, roles: admin.roles, bootstrap: false };
}

/** Only chooses which refusal to give: the token was not verified, and nothing else is read from it. */
function looksLikeAdminToken(token: string): boolean {
  try {
    return decodeProtectedHeader(token).typ === ADMIN_TOKEN_TYPE;
  } catch {
    return false;
  }
}

/** The actor an admin route's commands record: `admin:<adminId>` of the caller the guard let in. */
export function adminActorOf(request: FastifyRequest): string {
  if (!request.admin) throw new Error('admin route without the admin guard');
  return adminActor(request.admin.adminId);
}

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  // The scheme is case-insensitive (RFC 7235 section 2.1); the token is an RFC 6750 b64token.
  const m = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header);
  return m?.[1];
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Constant-time equality of two secrets of any length. */
export function secretEquals(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/**
 * The auditor token is for the audit API alone: any other audience names it in its refusal rather
 * than treating it as some unknown token, so a misrouted auditor learns why (compared in constant time).
 */
function refuseAuditorToken(config: Pick<LedgerConfig, 'auditorToken'>, token: string): void {
  if (config.auditorToken && secretEquals(token, config.auditorToken)) {
    throw new HttpProblem('auditor-token-not-accepted', 'the auditor token (LEDGER_AUDITOR_TOKEN) is accepted by the audit API (/api/v1/audit/...) only');
  }
}

/** What the audit guard needs: the auditor credential, when one is configured. */
export interface AuditorAccessServices {
  config: Pick<LedgerConfig, 'auditorToken'>;
}

/** What the audit guard refuses with: every audit API route documents these. */
export const AUDITOR_ACCESS_PROBLEMS: readonly ProblemName[] = ['auditing-not-configured', 'unauthorized', 'auditor-token-required'];

/**
 * Audit routes: the auditor token (LEDGER_AUDITOR_TOKEN) and nothing else, compared in constant
 * time, `onRequest`, before the body is read. Admin and provider tokens are refused here as every
 * other credential is. Without a configured token the audit API is off.
 */
export function auditorAccess(services: AuditorAccessServices): onRequestAsyncHookHandler {
  const { config } = services;
  return async (request: FastifyRequest) => {
    const expected = config.auditorToken;
    if (!expected) throw new HttpProblem('auditing-not-configured', 'this ledger has no auditor token (LEDGER_AUDITOR_TOKEN): its audit API is off');
    const token = bearer(request);
    if (!token) throw new HttpProblem('unauthorized', 'auditor bearer token required', {}, { 'www-authenticate': 'Bearer realm="audit"' });
    if (!secretEquals(token, expected)) {
      throw new HttpProblem('auditor-token-required', 'the audit API accepts only the auditor token (LEDGER_AUDITOR_TOKEN); admin and ActAs tokens do not grant it');
    }
  };
}

/** What the provider guard needs: ActAs tokens, the provider directory, the transport rule, and the auditor token to refuse. */
export interface ProviderGuardServices {
  config: Pick<LedgerConfig, 'auditorToken'>;
  accessTokens: Pick<AccessTokens, 'verify'>;
  providers: Pick<ProviderDirectory, 'get'>;
  actAsGrants: Pick<ActAsGrants, 'checkTransport'>;
}

/** What the provider guard refuses with (transport refusals only over mutual TLS): every provider route documents these. */
export const PROVIDER_GUARD_PROBLEMS: readonly ProblemName[] = [
  'unauthorized',
  'invalid-token',
  'auditor-token-not-accepted',
  'provider-suspended',
  'client-certificate-required',
  'client-certificate-unknown',
  'token-certificate-mismatch',
];

/**
 * Provider routes: a valid ActAs token of a provider that is not suspended and, over mutual TLS, a
 * client certificate that is one of the provider's transport certificates and the one the token is
 * bound to; `onRequest`, before any body parsing.
 */
export function providerGuard(services: ProviderGuardServices): onRequestAsyncHookHandler {
  const { accessTokens: tokens, providers } = services;
  return async (request: FastifyRequest) => {
    const token = bearer(request);
    if (!token) {
      throw new HttpProblem('unauthorized', 'ActAs bearer token required', {}, { 'www-authenticate': 'Bearer realm="provider"' });
    }
    refuseAuditorToken(services.config, token);
    let providerId: string;
    let boundTo: string | undefined;
    try {
      ({ providerId, certificateThumbprint: boundTo } = await tokens.verify(token));
    } catch (error) {
      if (!(error instanceof InvalidAccessTokenError)) throw error;
      throw new HttpProblem('invalid-token', 'the access token is invalid or expired', {}, {
        'www-authenticate': 'Bearer realm="provider", error="invalid_token"',
      });
    }
    const provider = await providers.get(providerId);
    if (!provider.exists) throw new HttpProblem('invalid-token', 'the access token names an unknown provider');
    if (provider.suspended) throw new HttpProblem('provider-suspended', 'this provider is suspended');
    try {
      services.actAsGrants.checkTransport(provider, boundTo, clientCertificateThumbprint(request));
    } catch (error) {
      if (error instanceof TransportRefusedError) throw transportProblem(error);
      throw error;
    }
    request.providerId = providerId;
  };
}

/** A transport refusal as its problem: 401 asks for the right certificate (or a token bound to it), 403 for a certificate not the provider's. */
export function transportProblem(error: TransportRefusedError): HttpProblem {
  const challenge = { 'www-authenticate': 'Bearer realm="provider", error="invalid_token"' };
  return new HttpProblem(error.reason, error.message, {}, error.reason === 'client-certificate-unknown' ? {} : challenge);
}

/** The problem responses of an admin route: the admin guard's refusals and the route's own. */
export const adminRefusals = (...names: ProblemName[]) => problemResponses(...ADMIN_ACCESS_PROBLEMS, ...names);
/** The problem responses of a provider route: the provider guard's refusals and the route's own. */
export const providerRefusals = (...names: ProblemName[]) => problemResponses(...PROVIDER_GUARD_PROBLEMS, ...names);
/** The problem responses of an audit API route: the audit guard's refusals and the route's own. */
export const auditorRefusals = (...names: ProblemName[]) => problemResponses(...AUDITOR_ACCESS_PROBLEMS, ...names);
