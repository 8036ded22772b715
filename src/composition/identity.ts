import type { LedgerConfig } from '../config.ts';
import { SimulatedIdentityNode } from '../adapters/identity/simulator.ts';
import { OidcIdentityProvider } from '../adapters/identity/oidc.ts';
import type { CitizenRegistry } from '../ports/citizen-registry.ts';
import type { IdentityProvider, SimulatedIdentityPages } from '../ports/identity-provider.ts';
import type { Pseudonyms } from '../app/citizens/pseudonyms.ts';

/** LEDGER_IDENTITY_PROVIDER: the simulated identity node (with its page), or an OpenID Provider. */
export function buildIdentityProvider(
  config: LedgerConfig,
  deps: { secret: Buffer; pseudonyms: Pseudonyms; citizens: CitizenRegistry; clock: () => Date },
): { identityProvider: IdentityProvider; identitySimulator?: SimulatedIdentityPages } {
  const idp = config.identityProvider;
  if (idp.kind === 'oidc') {
    return { identityProvider: new OidcIdentityProvider({ issuer: idp.issuer, clientId: idp.clientId, clientSecret: idp.clientSecret, acrValues: idp.acrValues }) };
  }
  const node = new SimulatedIdentityNode({
    publicUrl: config.publicUrl,
    secret: deps.secret,
    subjectOf: (person) => deps.pseudonyms.authorizationSubject(person),
    citizens: deps.citizens,
    homeCountry: config.homeCountry,
    clock: deps.clock,
  });
  return { identityProvider: node, identitySimulator: node };
}
