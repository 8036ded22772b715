import type { DomainEvent } from './envelope.ts';

/**
 * The citizen registry's audit trail: who changed or imported persons, kept in the log (forever).
 * The registry store holds the persons themselves and can forget them; these events must never hold
 * what it forgets. A person is named by `subject`, a keyed pseudonym of the AIFO (HMAC under a
 * ledger secret, sector `registry-audit`), never by the AIFO, phone, name or FCM token; a change
 * names the fields it changed, never their values. Stream `registry-<subject>` per person, and
 * `registry-imports` for the bulk imports' summaries.
 */

/** The person's fields a CitizenRecordChanged may name. */
export const CITIZEN_FIELDS = ['displayName', 'country', 'phone', 'phoneVerified', 'phoneAllowed', 'identitySubject'] as const;
export type CitizenField = (typeof CITIZEN_FIELDS)[number];

/** The device's fields a MobileKeyRegistered may name. */
export const MOBILE_KEY_FIELDS = ['fcmToken', 'label', 'publicKey'] as const;
export type MobileKeyField = (typeof MOBILE_KEY_FIELDS)[number];

/** `admin`: removed through the admin API; `unregistered`: the push service said the token is gone. */
export const MOBILE_KEY_REMOVAL_REASONS = ['admin', 'unregistered'] as const;

export type RegistryEvent =
  | DomainEvent<'CitizenRecordChanged', { subject: string; created: boolean; fields: CitizenField[]; changedAt: string }>
  | DomainEvent<'MobileKeyRegistered', { subject: string; deviceId: string; created: boolean; fields: MobileKeyField[]; registeredAt: string }>
  | DomainEvent<'MobileKeyRemoved', { subject: string; deviceId: string; reason: (typeof MOBILE_KEY_REMOVAL_REASONS)[number]; removedAt: string }>
  | DomainEvent<'CitizensImported', { created: number; updated: number; unchanged: number; refused: number; importedAt: string }>;

export type RegistryEventType = RegistryEvent['type'];

export const registryEventTypes = ['CitizenRecordChanged', 'MobileKeyRegistered', 'MobileKeyRemoved', 'CitizensImported'] as const satisfies ReadonlyArray<RegistryEventType>;

/** The pseudonym sector a registry event's subject is computed in (never remembered, never resolved). */
export const REGISTRY_AUDIT_SECTOR = 'registry-audit';
