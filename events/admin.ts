import type { DomainEvent } from './envelope.ts';
import type { ProviderKey } from './provider.ts';

/**
 * What an admin may do, least privilege: each admin route requires one role.
 * - `registry`: citizens, Mobile Key devices, imports;
 * - `providers`: providers, their keys, return URLs, suspension;
 * - `onboarding`: applications, approvals, connection decisions;
 * - `retention`: the retention policy and the purge;
 * - `admins`: the admins themselves.
 */
export const ADMIN_ROLES = ['registry', 'providers', 'onboarding', 'retention', 'admins'] as const;
export type AdminRole = (typeof ADMIN_ROLES)[number];

/** The admin id the bootstrap credential (LEDGER_ADMIN_TOKEN) acts under: its events say `admin:bootstrap`. */
export const BOOTSTRAP_ADMIN_ID = 'bootstrap';

/** The actor an admin's commands record. */
export const adminActor = (adminId: string) => `admin:${adminId}`;

/**
 * Named admins' ids start with `adm_`; provider ids never hold an underscore, so an assertion's
 * `iss` alone says which kind of client it is, and the two can never collide.
 */
export const ADMIN_ID_PREFIX = 'adm_';
export const isAdminId = (id: string): boolean => id.startsWith(ADMIN_ID_PREFIX) && id.length > ADMIN_ID_PREFIX.length;

/** A public key an admin signs client assertions with (a JWK, public members only), as providers do. */
export type AdminKey = ProviderKey;

export type AdminEvent =
  | DomainEvent<'AdminRegistered', { adminId: string; name: string; roles: AdminRole[]; keys: AdminKey[]; registeredAt: string }>
  | DomainEvent<'AdminKeyAdded', { adminId: string; key: AdminKey; addedAt: string }>
  | DomainEvent<'AdminKeyRevoked', { adminId: string; kid: string; revokedAt: string }>
  | DomainEvent<'AdminSuspended', { adminId: string; reason: string; suspendedAt: string }>
  | DomainEvent<'AdminReinstated', { adminId: string; reinstatedAt: string }>;

export const adminEventTypes = ['AdminRegistered', 'AdminKeyAdded', 'AdminKeyRevoked', 'AdminSuspended', 'AdminReinstated'] as const satisfies ReadonlyArray<
  AdminEvent['type']
>;
