import { randomBytes } from 'node:crypto';
import type { CitizenRegistry } from '../../ports/citizen-registry.ts';
import type { ReplayGuard } from '../../ports/replay-guard.ts';
import type { AuthenticationTransaction, CallbackParameters, IdentityProvider } from '../../ports/identity-provider.ts';

/** What the portal keeps in the browser between the redirect to the identity provider and its callback. */
export interface PortalTransaction {
  authentication: AuthenticationTransaction;
  /** Epoch ms after which the callback is refused. */
  expiresAt: number;
}

export type PortalLoginResult =
  | { outcome: 'signed-in'; aifo: string }
  /** `reason` is for logs only. */
  | { outcome: 'cancelled' | 'failed' | 'unknown-person' | 'expired' | 'replayed'; reason: string };

export interface PortalLoginDeps {
  identityProvider: IdentityProvider;
  citizens: CitizenRegistry;
  replayGuard: ReplayGuard;
  /** The portal's callback URL the identity provider returns to. */
  callbackUrl: string;
  transactionTtlMs: number;
  clock: () => Date;
}

/**
 * Citizen sign-in to the portal through the IdentityProvider port: the national gateway, no LoA
 * restriction, no ForceAuth (a session at the identity provider may be reused), and the identity
 * resolved to an AIFO the same way the authorization SeP resolves it.
 */
export class PortalLogin {
  constructor(private readonly deps: PortalLoginDeps) {}

  /** Where to send the browser, and the transaction to keep bound to it. */
  async start(): Promise<{ redirectUrl: string; transaction: PortalTransaction }> {
    const now = this.deps.clock().getTime();
    const request = {
      gateway: 'national' as const,
      loa: null,
      forceAuth: false,
      callbackUrl: this.deps.callbackUrl,
      state: randomBytes(16).toString('base64url'),
      nonce: randomBytes(16).toString('base64url'),
    };
    const begun = await this.deps.identityProvider.begin(request);
    return {
      redirectUrl: begun.redirectUrl,
      transaction: { authentication: { ...request, startedAt: now, ...(begun.verifier ? { verifier: begun.verifier } : {}) }, expiresAt: now + this.deps.transactionTtlMs },
    };
  }

  /** Completes the transaction once; answers the AIFO of who signed in, or why nobody did. */
  async finish(transaction: PortalTransaction, callback: CallbackParameters): Promise<PortalLoginResult> {
    const { identityProvider, citizens, replayGuard, clock } = this.deps;
    if (transaction.expiresAt <= clock().getTime()) return { outcome: 'expired', reason: 'the sign-in took too long' };
    if (!(await replayGuard.consume('portal-callback', transaction.authentication.state, transaction.expiresAt))) {
      return { outcome: 'replayed', reason: 'this sign-in was already used' };
    }
    const result = await identityProvider.complete(callback, transaction.authentication);
    if (result.outcome !== 'authenticated') return { outcome: result.outcome, reason: result.reason };
    const aifo = await citizens.resolve(result.identity.sector, result.identity.subject);
    if (!aifo) return { outcome: 'unknown-person', reason: 'the identity provider released an identity the registry does not know' };
    return { outcome: 'signed-in', aifo };
  }
}
