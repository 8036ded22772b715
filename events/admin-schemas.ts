import { ADMIN_ROLES, type AdminEvent } from './admin.ts';
import { exactly, instant, listOf, oneOf, text, type JsonSchema } from './json-schema.ts';

const key = exactly({ kid: text, jwk: { type: 'object' } });

/** The data of each admin event at its current schema version (older versions are upcast first: upcasters.ts). */
export const adminEventSchemas = {
  AdminRegistered: exactly({ adminId: text, name: text, roles: listOf(oneOf(ADMIN_ROLES)), keys: listOf(key), registeredAt: instant }),
  AdminKeyAdded: exactly({ adminId: text, key, addedAt: instant }),
  AdminKeyRevoked: exactly({ adminId: text, kid: text, revokedAt: instant }),
  AdminSuspended: exactly({ adminId: text, reason: text, suspendedAt: instant }),
  AdminReinstated: exactly({ adminId: text, reinstatedAt: instant }),
} as const satisfies Record<AdminEvent['type'], JsonSchema>;
