import { ADMIN_ROLES, type AdminEvent, type AdminKey, type AdminRole } from '../events/admin.ts';
import type { Decider } from './decider.ts';
import { refuse } from './errors.ts';

export interface AdminState {
  exists: boolean;
  adminId: string;
  name: string;
  roles: AdminRole[];
  /** Keys by kid; revoked ones stay, marked, so a revoked kid can never be re-added. */
  keys: Record<string, AdminKey & { revoked: boolean }>;
  suspended: boolean;
  registeredAt?: string;
}

export type AdminCommand =
  | { type: 'RegisterAdmin'; adminId: string; name: string; roles: AdminRole[]; keys: AdminKey[]; now: string }
  | { type: 'AddAdminKey'; key: AdminKey; now: string }
  | { type: 'RevokeAdminKey'; kid: string; now: string }
  | { type: 'SuspendAdmin'; reason: string; now: string }
  | { type: 'ReinstateAdmin'; now: string };

/** Named admins: who they are, which roles they hold, the keys they prove themselves with, whether suspended. */
export const adminDecider: Decider<AdminState, AdminCommand, AdminEvent> = {
  initialState: () => ({ exists: false, adminId: '', name: '', roles: [], keys: {}, suspended: false }),

  evolve(state, event) {
    switch (event.type) {
      case 'AdminRegistered':
        return {
          exists: true,
          adminId: event.data.adminId,
          name: event.data.name,
          roles: event.data.roles,
          keys: Object.fromEntries(event.data.keys.map((k) => [k.kid, { ...k, revoked: false }])),
          suspended: false,
          registeredAt: event.data.registeredAt,
        };
      case 'AdminKeyAdded':
        return { ...state, keys: { ...state.keys, [event.data.key.kid]: { ...event.data.key, revoked: false } } };
      case 'AdminKeyRevoked': {
        const key = state.keys[event.data.kid];
        return key ? { ...state, keys: { ...state.keys, [event.data.kid]: { ...key, revoked: true } } } : state;
      }
      case 'AdminSuspended':
        return { ...state, suspended: true };
      case 'AdminReinstated':
        return { ...state, suspended: false };
    }
  },

  decide(command, state) {
    switch (command.type) {
      case 'RegisterAdmin': {
        if (state.exists) refuse('conflict', 'admin already registered');
        if (command.keys.length === 0) refuse('invalid-request', 'an admin needs at least one key');
        if (command.roles.length === 0) refuse('invalid-request', 'an admin needs at least one role');
        const unknown = command.roles.find((r) => !ADMIN_ROLES.includes(r));
        if (unknown) refuse('invalid-request', `unknown role: ${unknown}`);
        if (new Set(command.keys.map((k) => k.kid)).size !== command.keys.length) refuse('invalid-request', 'key ids (kid) must be distinct');
        // Stored in the catalogue's order, once each: the same roles always read the same.
        const roles = ADMIN_ROLES.filter((r) => command.roles.includes(r));
        return [{ type: 'AdminRegistered', data: { adminId: command.adminId, name: command.name, roles, keys: command.keys, registeredAt: command.now } }];
      }
      case 'AddAdminKey':
        if (state.keys[command.key.kid]) refuse('conflict', `key ${command.key.kid} already exists`);
        return [{ type: 'AdminKeyAdded', data: { adminId: registered(state), key: command.key, addedAt: command.now } }];
      case 'RevokeAdminKey': {
        const adminId = registered(state);
        const key = state.keys[command.kid];
        if (!key) refuse('key-unknown', `key ${command.kid} is not registered`);
        if (key.revoked) return [];
        return [{ type: 'AdminKeyRevoked', data: { adminId, kid: command.kid, revokedAt: command.now } }];
      }
      case 'SuspendAdmin': {
        const adminId = registered(state);
        if (state.suspended) return [];
        return [{ type: 'AdminSuspended', data: { adminId, reason: command.reason, suspendedAt: command.now } }];
      }
      case 'ReinstateAdmin': {
        const adminId = registered(state);
        if (!state.suspended) return [];
        return [{ type: 'AdminReinstated', data: { adminId, reinstatedAt: command.now } }];
      }
    }
  },
};

/** The admin's id; an admin never registered is not found. */
function registered(state: AdminState): string {
  if (!state.exists) refuse('not-found', 'admin not found');
  return state.adminId;
}
