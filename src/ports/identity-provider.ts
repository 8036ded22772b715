import type { Gateway, Loa } from '../../events/act.ts';
import type { Citizen } from './citizen-registry.ts';

/** What the ledger asks an identity provider for: an authentication, never attributes. */
export interface AuthenticationRequest {
  /** national: the home country's identity means; international: the eIDAS node. */
  gateway: Gateway;
  /** Lowest LoA that will be accepted; null: no restriction. */
  loa: Loa | null;
  /** Authenticate again even when the identity provider holds a session (SPEC ForceAuth). */
  forceAuth: boolean;
  /** Where the identity provider sends the browser back (the ledger's callback URL). */
  callbackUrl: string;
  /** Random, single use; binds the callback to the browser that started it. */
  state: string;
  nonce: string;
  /**
   * What the person signs in to authorize, for an identity node that shows it before the sign-in
   * (the simulated node does). Display only: no answer depends on it, and the ledger does not keep it.
   */
  purpose?: AuthenticationPurpose;
}

/** The act a re-authentication authorizes, as the citizen should see it. */
export interface AuthenticationPurpose {
  actName: string;
  description: string;
  /** The e-service (qualified provider) that registered the act. */
  eService: string;
}

/** What the ledger keeps (bound to the browser) between `begin` and `complete`. */
export interface AuthenticationTransaction extends AuthenticationRequest {
  /** Epoch ms at which the transaction began: a ForceAuth authentication cannot be older. */
  startedAt: number;
  /** Adapter secret needed at the callback (the PKCE code verifier of the OIDC adapter). */
  verifier?: string;
}

export interface AuthenticationStart {
  /** Send the browser here. */
  redirectUrl: string;
  verifier?: string;
}

/** An identity as the identity provider released it: resolve (sector, subject) in the CitizenRegistry. */
export interface AuthenticatedIdentity {
  sector: string;
  subject: string;
}

export type AuthenticationResult =
  | {
      outcome: 'authenticated';
      identity: AuthenticatedIdentity;
      loaAchieved: Loa | null;
      /** The identity means used (e.g. eid-card), when the identity provider says. */
      means: string | null;
      /** When the person authenticated (ISO 8601); null when the identity provider did not say (never under ForceAuth). */
      authTime: string | null;
    }
  /** `reason` is for logs only; it never reaches the provider. */
  | { outcome: 'cancelled' | 'failed'; reason: string };

/** The callback's query parameters, as the browser brought them. */
export type CallbackParameters = Record<string, string>;

/**
 * A source of fresh authentications (simulator, OpenID Provider). Used by the authorization SeP
 * and reusable for citizen login; it knows nothing about acts.
 */
export interface IdentityProvider {
  readonly kind: 'simulator' | 'oidc';
  /** Prepares an authentication and answers where to send the browser. */
  begin(request: AuthenticationRequest): Promise<AuthenticationStart>;
  /**
   * Reads the callback of the transaction it began. Throws IdentityProviderUnavailable when the
   * identity provider cannot be reached (nothing is decided then); every other problem is an outcome.
   */
  complete(callback: CallbackParameters, transaction: AuthenticationTransaction): Promise<AuthenticationResult>;
}

/** The identity provider could not be reached; the authentication can be tried again. */
export class IdentityProviderUnavailable extends Error {
  override readonly name = 'IdentityProviderUnavailable';
}

/**
 * The sector of an OpenID Provider's subjects: the OIDC identity provider answers (OIDC_SECTOR, `sub`),
 * and the citizen registry links each `sub` to the person it names (a citizen record's `identitySubject`).
 */
export const OIDC_SECTOR = 'oidc';

/** The authorization SeP's own sector: the identity an identity provider answers is a BSI in it. */
export const AUTHORIZATION_SEP_SECTOR = 'authorization-sep';

/** An identity means a tester can pick on the simulated node, with the LoA it gives. */
export interface IdentityMeans {
  id: string;
  label: string;
  loa: Loa;
}

/** The tester's choice on the simulator page. */
export type SimulatorChoice = { action: 'authenticate'; aifo: string; meansId: string } | { action: 'cancel' } | { action: 'fail' };

/** The simulated identity node's page (simulator environment only): what a tester picks from, and where the choice goes. */
export interface SimulatedIdentityPages {
  /** The authentication request a page link carries, or undefined when it is not one of the node's. */
  readRequest(token: string): Promise<AuthenticationRequest | undefined>;
  /** The test persons offered at this gateway. */
  persons(gateway: Gateway): Promise<Citizen[]>;
  means(gateway: Gateway): readonly IdentityMeans[];
  /** Where the browser goes with the tester's choice (back to the ledger's callback). */
  answer(request: AuthenticationRequest, choice: SimulatorChoice): Promise<string>;
}
