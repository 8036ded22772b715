import type { DomainEvent } from './envelope.ts';

/** A public key a provider signs its client assertions with (a JWK, public members only). */
export interface ProviderKey {
  kid: string;
  jwk: Record<string, unknown>;
}

export type ProviderEvent =
  | DomainEvent<'ProviderRegistered', { providerId: string; name: string; keys: ProviderKey[]; returnUrls: string[]; registeredAt: string }>
  | DomainEvent<'ProviderKeyAdded', { providerId: string; key: ProviderKey; addedAt: string }>
  | DomainEvent<'ProviderKeyRevoked', { providerId: string; kid: string; revokedAt: string }>
  | DomainEvent<'ProviderReturnUrlsChanged', { providerId: string; returnUrls: string[]; changedAt: string }>
  | DomainEvent<'ProviderSuspended', { providerId: string; reason: string; suspendedAt: string }>
  | DomainEvent<'ProviderReinstated', { providerId: string; reinstatedAt: string }>;

export const providerEventTypes = [
  'ProviderRegistered',
  'ProviderKeyAdded',
  'ProviderKeyRevoked',
  'ProviderReturnUrlsChanged',
  'ProviderSuspended',
  'ProviderReinstated',
] as const satisfies ReadonlyArray<ProviderEvent['type']>;
