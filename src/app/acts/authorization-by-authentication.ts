import { randomBytes, randomUUID } from 'node:crypto';
import { streamNames } from '../../../events/envelope.ts';
import type { ActEvent } from '../../../events/act.ts';
import { actDecider, type ActCommand } from '../../../commands/act.ts';
import { DomainError, refuse } from '../../../commands/errors.ts';
import type { EventStore } from '../../ports/event-store.ts';
import type { CitizenRegistry } from '../../ports/citizen-registry.ts';
import type { ReplayGuard } from '../../ports/replay-guard.ts';
import type { AuthenticationTransaction, CallbackParameters, IdentityProvider } from '../../ports/identity-provider.ts';
import { handleCommand, type CommandContext, type EventCodec } from '../command-handler.ts';
import { newReceiptSalt, type ActService } from './act-service.ts';
import type { ProviderDirectory } from '../providers/provider-directory.ts';

/** Everything the ledger must remember, bound to the browser, between the redirect to the IdP and its callback. */
export interface AuthorizationTransaction {
  actId: string;
  authenticationId: string;
  /** Checked against the provider's registered return URLs when the transaction began. */
  redirectUri: string;
  /** The provider's `state`, echoed back to it untouched. */
  providerState: string;
  authentication: AuthenticationTransaction;
  /** Epoch ms after which the callback is refused. */
  expiresAt: number;
}

export interface AuthorizationServiceDeps {
  store: EventStore;
  codec: EventCodec<ActEvent>;
  acts: ActService;
  providers: ProviderDirectory;
  citizens: CitizenRegistry;
  identityProvider: IdentityProvider;
  replayGuard: ReplayGuard;
  /** The ledger's callback URL the identity provider returns to. */
  callbackUrl: string;
  /** How long a citizen has to authenticate once sent to the identity provider. */
  transactionTtlMs: number;
  clock: () => Date;
}

export interface AuthorizationFinish {
  /** The provider's redirect_uri with `act_id` and `state`: nothing personal. */
  redirectTo: string;
  actId: string;
  status: 'pending' | 'authorized' | 'failed';
  /** Why the identity provider's answer was not an authentication (logs only). */
  note?: string;
}

const ACTOR = 'citizen';

/**
 * The authorization SeP (SPEC section 2, step 4): sends the citizen to authenticate again, then
 * lets the act decider compare the AIFO behind who authenticated with the AIFO behind the act's SePP.
 */
export class AuthorizationService {
  constructor(private readonly deps: AuthorizationServiceDeps) {}

  /**
   * Refuses an unknown act (not-found), a redirect_uri not registered for the act's provider
   * (redirect-uri-not-registered), a non-pending act (act-not-pending); otherwise records
   * AuthenticationRequested and answers where to send the browser.
   */
  async start(actId: string, redirectUri: string, providerState: string, correlationId?: string): Promise<{ redirectUrl: string; transaction: AuthorizationTransaction }> {
    const { acts, providers, identityProvider, clock } = this.deps;
    let { state } = await acts.load(actId);
    if (state.status === 'none') refuse('not-found', 'no such act');
    const provider = await providers.get(state.providerId);
    // Exact string comparison: no prefix, host or path leeway for an open redirect to hide in.
    if (!provider.returnUrls.includes(redirectUri)) refuse('redirect-uri-not-registered', 'this redirect_uri is not registered for the e-service that registered the act');
    if (provider.suspended) refuse('provider-suspended', 'the e-service that registered this act is suspended');
    if (state.status === 'pending' && Date.parse(state.expiresAt) <= clock().getTime()) state = await acts.expire(actId);
    if (state.status !== 'pending') refuse('act-not-pending', `the act is ${state.status}`, { status: state.status });

    const now = clock();
    const authenticationId = randomUUID();
    const loa = state.gateway === 'international' ? null : state.loa;
    const request = {
      gateway: state.gateway,
      loa,
      forceAuth: true,
      callbackUrl: this.deps.callbackUrl,
      state: randomBytes(16).toString('base64url'),
      nonce: randomBytes(16).toString('base64url'),
    };
    // Begin first: when the identity provider is down, nothing is recorded. The purpose goes to the
    // identity node's page only; the transaction (a cookie) does not carry it.
    const purpose = { actName: state.name ?? '', description: state.description ?? '', eService: state.providerName };
    const begun = await identityProvider.begin({ ...request, purpose });
    await this.run(
      actId,
      { type: 'RequestAuthentication', providerId: state.providerId, authenticationId, redirectUri, loa, now: now.toISOString() },
      correlationId,
    );
    return {
      redirectUrl: begun.redirectUrl,
      transaction: {
        actId,
        authenticationId,
        redirectUri,
        providerState,
        authentication: { ...request, startedAt: now.getTime(), ...(begun.verifier ? { verifier: begun.verifier } : {}) },
        expiresAt: now.getTime() + this.deps.transactionTtlMs,
      },
    };
  }

  /**
   * Completes the transaction once (a replay is refused as conflict), records the authentication's
   * outcome and the act's result, and answers where to send the browser back. An act decided in the
   * meantime (expired, authorized by code) is not touched: the browser still goes back.
   */
  async finish(transaction: AuthorizationTransaction, callback: CallbackParameters, correlationId?: string): Promise<AuthorizationFinish> {
    const { acts, identityProvider, citizens, replayGuard, clock } = this.deps;
    if (transaction.expiresAt <= clock().getTime()) refuse('invalid-request', 'this sign-in took too long; start again from the e-service');
    if (!(await replayGuard.consume('authorization-callback', transaction.authentication.state, transaction.expiresAt))) {
      refuse('conflict', 'this sign-in has already been used');
    }
    const result = await identityProvider.complete(callback, transaction.authentication);
    const aifo = result.outcome === 'authenticated' ? ((await citizens.resolve(result.identity.sector, result.identity.subject)) ?? null) : null;

    const { actId } = transaction;
    let { state } = await acts.load(actId);
    if (state.status === 'pending' && Date.parse(state.expiresAt) <= clock().getTime()) state = await acts.expire(actId);
    const redirectTo = backToProvider(transaction);
    const note = result.outcome === 'authenticated' ? undefined : result.reason;
    if (state.status !== 'pending') return { redirectTo, actId, status: state.status as 'authorized' | 'failed', ...(note ? { note } : {}) };

    const command: ActCommand =
      result.outcome === 'authenticated'
        ? { type: 'CompleteAuthentication', authenticationId: transaction.authenticationId, outcome: 'authenticated', aifo, identity: result.identity.subject, loaAchieved: result.loaAchieved, means: result.means, receiptSalt: newReceiptSalt(), now: clock().toISOString() }
        : { type: 'CompleteAuthentication', authenticationId: transaction.authenticationId, outcome: result.outcome, aifo: null, identity: null, loaAchieved: null, means: null, receiptSalt: newReceiptSalt(), now: clock().toISOString() };
    try {
      const { state: after } = await this.run(actId, command, correlationId);
      return { redirectTo, actId, status: after.status as AuthorizationFinish['status'], ...(note ? { note } : {}) };
    } catch (error) {
      // Decided by another request between our read and our write.
      if (!(error instanceof DomainError && error.code === 'act-not-pending')) throw error;
      const { state: decided } = await acts.load(actId);
      return { redirectTo, actId, status: decided.status as AuthorizationFinish['status'], ...(note ? { note } : {}) };
    }
  }

  private run(actId: string, command: ActCommand, correlationId?: string) {
    const context: CommandContext = { actor: ACTOR, now: this.deps.clock().toISOString(), ...(correlationId ? { correlationId } : {}) };
    return handleCommand({ store: this.deps.store, streamName: streamNames.act(actId), decider: actDecider, command, context, codec: this.deps.codec });
  }
}

/** The provider's redirect_uri with the act id and its own state, and nothing else. */
function backToProvider(transaction: AuthorizationTransaction): string {
  const url = new URL(transaction.redirectUri);
  url.searchParams.set('act_id', transaction.actId);
  url.searchParams.set('state', transaction.providerState);
  return url.href;
}
