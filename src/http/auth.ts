import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { InvalidAccessTokenError, type AccessTokens } from '../app/access-tokens.ts';
import type { ProviderDirectory } from '../app/providers.ts';
import { HttpProblem } from './problems.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the provider guard: the provider the ActAs token was issued to. */
    providerId?: string;
  }
}

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const m = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/.exec(header);
  return m?.[1];
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Constant-time equality of two secrets of any length. */
export function secretEquals(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/** Admin routes: the configured admin bearer token, nothing else (an ActAs token is refused). */
export function adminGuard(adminToken: string | undefined): preHandlerAsyncHookHandler {
  return async (request: FastifyRequest, _reply: FastifyReply) => {
    const token = bearer(request);
    if (!token) throw new HttpProblem('unauthorized', 'admin bearer token required', {}, { 'www-authenticate': 'Bearer realm="admin"' });
    if (!adminToken || !secretEquals(token, adminToken)) {
      throw new HttpProblem('forbidden', 'this token does not grant admin access');
    }
  };
}

/** Provider routes: a valid ActAs token of a provider that is not suspended. */
export function providerGuard(tokens: AccessTokens, providers: ProviderDirectory): preHandlerAsyncHookHandler {
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
