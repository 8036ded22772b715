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
