import type { LedgerConfig } from '../config.ts';
import { SimulatedIdentityNode } from '../adapters/identity/simulator.ts';
import { OidcIdentityProvider } from '../adapters/identity/oidc.ts';
import type { CitizenRegistry } from '../ports/citizen-registry.ts';
import type { IdentityProvider, SimulatedIdentityPages } from '../ports/identity-provider.ts';
import type { Pseudonyms } from '../app/citizens/pseudonyms.ts';
import type { ReadinessCheck } from '../app/services.ts';

export interface BuiltIdentityProvider {
  identityProvider: IdentityProvider;
  identitySimulator?: SimulatedIdentityPages;
  /** The `identityProvider` check of /readyz: an OpenID Provider is ready once its discovery succeeded. */
  identityReadiness: Record<'identityProvider', () => Promise<ReadinessCheck>>;
}

/**
 * LEDGER_IDENTITY_PROVIDER: the simulated identity node (with its page), or an OpenID Provider.
 * The OpenID Provider is not contacted here: the ledger starts while it is down and discovers it on first use.
 */
export function buildIdentityProvider(
  config: LedgerConfig,
  deps: { secret: Buffer; pseudonyms: Pseudonyms; citizens: CitizenRegistry; clock: () => Date },
): BuiltIdentityProvider {
  const idp = config.identityProvider;
  if (idp.kind === 'oidc') {
    const oidc = new OidcIdentityProvider({ issuer: idp.issuer, clientId: idp.clientId, clientSecret: idp.clientSecret, acrValues: idp.acrValues });
    return { identityProvider: oidc, identityReadiness: { identityProvider: async () => ({ ...(await oidc.discoveryStatus()), partial: true }) } };
  }
  const node = new SimulatedIdentityNode({
    publicUrl: config.publicUrl,
    secret: deps.secret,
    subjectOf: (person) => deps.pseudonyms.authorizationSubject(person),
    citizens: deps.citizens,
    homeCountry: config.homeCountry,
    clock: deps.clock,
  });
  return { identityProvider: node, identitySimulator: node, identityReadiness: { identityProvider: async () => ({ ok: true, kind: 'simulator' }) } };
}
