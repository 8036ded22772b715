import { CITIZEN_FIELDS, MOBILE_KEY_FIELDS, MOBILE_KEY_REMOVAL_REASONS, type RegistryEventType } from './registry.ts';
import { count, exactly, instant, listOf, oneOf, text, type JsonSchema } from './json-schema.ts';

/** A keyed pseudonym: base64url of an HMAC-SHA-256, nothing a person could be read from. */
const subject = { type: 'string', pattern: '^[A-Za-z0-9_-]{43}$' } as const;

/** The data of each event of the `registry-` streams: names of fields, never their values. */
export const registryEventSchemas = {
  CitizenRecordChanged: exactly({ subject, created: { type: 'boolean' }, fields: listOf(oneOf(CITIZEN_FIELDS)), changedAt: instant }),
  MobileKeyRegistered: exactly({ subject, deviceId: text, created: { type: 'boolean' }, fields: listOf(oneOf(MOBILE_KEY_FIELDS)), registeredAt: instant }),
  MobileKeyRemoved: exactly({ subject, deviceId: text, reason: oneOf(MOBILE_KEY_REMOVAL_REASONS), removedAt: instant }),
  CitizensImported: exactly({ created: count, updated: count, unchanged: count, refused: count, importedAt: instant }),
} as const satisfies Record<RegistryEventType, JsonSchema>;
