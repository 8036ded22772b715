import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { InvalidAccessTokenError, type AccessTokens } from '../app/providers/access-tokens.ts';
import type { ProviderDirectory } from '../app/providers/provider-directory.ts';
import { HttpProblem } from './problems.ts';
import { ADMIN_ROLES, BOOTSTRAP_ADMIN_ID, type AdminRole } from '../../events/admin.ts';
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

/**
 * Admin routes requiring `role`. Runs `onRequest`, before the body is read. Today only the bootstrap
 * credential is known; named admins' access tokens are checked here too once they exist. `any`: every
 * admin, for routes whose role depends on what they touch (a four-eyes confirmation needs the role of
 * its change) and that check it themselves.
 */
export function adminAccess(config: Pick<LedgerConfig, 'adminToken' | 'environment'>, role: AdminRole | 'any'): onRequestAsyncHookHandler {
  return async (request: FastifyRequest) => {
    const token = bearer(request);
    if (!token) throw new HttpProblem('unauthorized', 'admin bearer token required', {}, { 'www-authenticate': 'Bearer realm="admin"' });
    if (!config.adminToken || !secretEquals(token, config.adminToken)) throw new HttpProblem('forbidden', 'this token does not grant admin access');
    const principal: AdminPrincipal = { adminId: BOOTSTRAP_ADMIN_ID, roles: bootstrapRoles(config.environment), bootstrap: true };
    if (role !== 'any' && !principal.roles.includes(role)) throw new HttpProblem('forbidden', `this needs the ${role} role`);
    request.admin = principal;
  };
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
 * Admin routes: the configured admin bearer token, nothing else (an ActAs token is refused).
 * Runs `onRequest`, before the body is read: a caller without the token learns nothing about bodies.
 */
export function adminGuard(adminToken: string | undefined): onRequestAsyncHookHandler {
  return async (request: FastifyRequest, _reply: FastifyReply) => {
    const token = bearer(request);
    if (!token) throw new HttpProblem('unauthorized', 'admin bearer token required', {}, { 'www-authenticate': 'Bearer realm="admin"' });
    if (!adminToken || !secretEquals(token, adminToken)) {
      throw new HttpProblem('forbidden', 'this token does not grant admin access');
    }
  };
}

/** Provider routes: a valid ActAs token of a provider that is not suspended; `onRequest`, before any body parsing. */
export function providerGuard(tokens: AccessTokens, providers: ProviderDirectory): onRequestAsyncHookHandler {
  return async (request: FastifyRequest) => {
    const token = bearer(request);
    if (!token) {
      throw new HttpProblem('unauthorized', 'ActAs bearer token required', {}, { 'www-authenticate': 'Bearer realm="provider"' });
    }
    let providerId: string;
    try {
      ({ providerId } = await tokens.verify(token));
    } catch (error) {
      if (!(error instanceof InvalidAccessTokenError)) throw error;
      throw new HttpProblem('invalid-token', 'the access token is invalid or expired', {}, {
        'www-authenticate': 'Bearer realm="provider", error="invalid_token"',
      });
    }
    const provider = await providers.get(providerId);
    if (!provider.exists) throw new HttpProblem('invalid-token', 'the access token names an unknown provider');
    if (provider.suspended) throw new HttpProblem('provider-suspended', 'this provider is suspended');
    request.providerId = providerId;
  };
}
