import type { ProviderEvent } from './provider.ts';
import { exactly, instant, listOf, text, type JsonSchema } from './json-schema.ts';

const key = exactly({ kid: text, jwk: { type: 'object' } });

/** The data of each provider event at its current schema version (older versions are upcast first: upcasters.ts). */
export const providerEventSchemas = {
  ProviderRegistered: exactly({ providerId: text, name: text, keys: listOf(key), returnUrls: listOf(text), registeredAt: instant }),
  ProviderKeyAdded: exactly({ providerId: text, key, addedAt: instant }),
  ProviderKeyRevoked: exactly({ providerId: text, kid: text, revokedAt: instant }),
  ProviderReturnUrlsChanged: exactly({ providerId: text, returnUrls: listOf(text), changedAt: instant }),
  ProviderSuspended: exactly({ providerId: text, reason: text, suspendedAt: instant }),
  ProviderReinstated: exactly({ providerId: text, reinstatedAt: instant }),
} as const satisfies Record<ProviderEvent['type'], JsonSchema>;
