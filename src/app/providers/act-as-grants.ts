import { environmentAccess } from '../../../commands/provider-onboarding.ts';
import type { ProviderState } from '../../../commands/provider.ts';
import { DomainError } from '../../../commands/errors.ts';
import type { Environment } from '../../../events/provider.ts';
import type { AccessTokens } from './access-tokens.ts';

/** Why a request over mutual TLS was refused: no verified client certificate, not the provider's, not the token's. */
export type TransportRefusal = 'client-certificate-required' | 'client-certificate-unknown' | 'token-certificate-mismatch';

export class TransportRefusedError extends Error {
  override readonly name = 'TransportRefusedError';
  constructor(
    readonly reason: TransportRefusal,
    message: string,
  ) {
    super(message);
  }
}

export interface ActAsGrantsDeps {
  providers: { get(providerId: string): Promise<ProviderState> };
  tokens: Pick<AccessTokens, 'issue'>;
  /** This ledger's environment: tokens are for it only. */
  environment: Environment;
  /** The ledger asks for client certificates (LEDGER_TLS_CLIENT_CA): tokens are bound to them. */
  mutualTls: boolean;
  clock: () => Date;
}

/**
 * Who gets an ActAs token, once its client assertion is verified: a provider with access to this
 * ledger's environment now (inside its support window in the simulator and integration, activated in
 * production). Over mutual TLS the request must come with one of the provider's transport
 * certificates, and the token is bound to it (`cnf.x5t#S256`, RFC 8705); provider routes then take
 * the token only over that certificate.
 */
export class ActAsGrants {
  constructor(private readonly deps: ActAsGrantsDeps) {}

  get mutualTls(): boolean {
    return this.deps.mutualTls;
  }

  /**
   * `clientCertificate`: the SHA-256 thumbprint (base64url) of the verified client certificate the
   * request came over, if any. Refuses with the environment's DomainError codes, or TransportRefusedError.
   */
  async issue(providerId: string, clientCertificate: string | undefined): Promise<{ token: string; expiresIn: number }> {
    const now = this.deps.clock();
    const state = await this.deps.providers.get(providerId);
    const access = environmentAccess(state, this.deps.environment, now.toISOString());
    if (access !== 'ok') throw new DomainError(access, accessMessage(access, this.deps.environment, state));
    if (!this.deps.mutualTls) return this.deps.tokens.issue(providerId);
    const thumbprint = this.transportCertificate(state, clientCertificate, now);
    return this.deps.tokens.issue(providerId, undefined, { certificateThumbprint: thumbprint });
  }

  /**
   * A provider route's transport check over mutual TLS: the request's client certificate is a
   * current transport certificate of the provider, and the one the token was bound to. Without
   * mutual TLS there is nothing to check, except that a bound token is never taken without its certificate.
   */
  checkTransport(state: ProviderState, boundTo: string | undefined, clientCertificate: string | undefined, now = this.deps.clock()): void {
    if (!this.deps.mutualTls && boundTo === undefined) return;
    const thumbprint = this.transportCertificate(state, clientCertificate, now);
    if (boundTo !== thumbprint) {
      throw new TransportRefusedError('token-certificate-mismatch', 'the access token is bound to another client certificate than this request came over');
    }
  }

  private transportCertificate(state: ProviderState, clientCertificate: string | undefined, now: Date): string {
    if (!clientCertificate) throw new TransportRefusedError('client-certificate-required', 'provider requests need a client certificate (mutual TLS)');
    const at = now.getTime();
    const registered = Object.values(state.onboarding.certificates).some(
      (c) =>
        c.purpose === 'transport' &&
        c.environment === this.deps.environment &&
        !c.revoked &&
        c.thumbprintSha256 === clientCertificate &&
        Date.parse(c.notBefore) <= at &&
        at <= Date.parse(c.notAfter),
    );
    if (!registered) {
      throw new TransportRefusedError('client-certificate-unknown', "the client certificate is not one of the provider's current transport certificates");
    }
    return clientCertificate;
  }
}

function accessMessage(access: string, environment: Environment, state: ProviderState): string {
  switch (access) {
    case 'environment-access-expired':
      return `the provider's support window in the ${environment} environment ended at ${state.onboarding.access[environment]?.supportUntil}`;
    case 'production-not-activated':
      return 'the provider is not activated in production yet (a connection decision and an activation, each confirmed by a second admin)';
    default:
      return `the provider has no access to the ${environment} environment: an approved application admits it`;
  }
}
