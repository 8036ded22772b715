import { describe, expect, it } from 'vitest';
import { adminDecider, type AdminCommand } from '../../commands/admin.ts';
import { DomainError } from '../../commands/errors.ts';
import { isAdminId, type AdminEvent } from '../../events/admin.ts';

const T = '2026-11-22T10:00:00.000Z';
const key = (kid: string) => ({ kid, jwk: { kty: 'OKP', crv: 'Ed25519', x: kid } });
const registered: AdminEvent = { type: 'AdminRegistered', data: { adminId: 'adm_1', name: 'Eva', roles: ['registry', 'retention'], keys: [key('k1')], registeredAt: T } };
const decide = (events: AdminEvent[], command: AdminCommand) => adminDecider.decide(command, events.reduce(adminDecider.evolve, adminDecider.initialState()));
const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return (error as DomainError).code;
  }
  return undefined;
};

describe('admin decider', () => {
  it('registers once, with a key and a role, roles in the catalogue\'s order', () => {
    expect(decide([], { type: 'RegisterAdmin', adminId: 'adm_1', name: 'Eva', roles: ['retention', 'registry'], keys: [key('k1')], now: T })).toEqual([registered]);
    expect(refusal(() => decide([registered], { type: 'RegisterAdmin', adminId: 'adm_1', name: 'Eva', roles: ['registry'], keys: [key('k1')], now: T }))).toBe('conflict');
    expect(refusal(() => decide([], { type: 'RegisterAdmin', adminId: 'adm_1', name: 'Eva', roles: [], keys: [key('k1')], now: T }))).toBe('invalid-request');
    expect(refusal(() => decide([], { type: 'RegisterAdmin', adminId: 'adm_1', name: 'Eva', roles: ['registry'], keys: [], now: T }))).toBe('invalid-request');
    expect(refusal(() => decide([], { type: 'RegisterAdmin', adminId: 'adm_1', name: 'Eva', roles: ['root' as 'registry'], keys: [key('k1')], now: T }))).toBe('invalid-request');
  });

  it('revokes keys for good, and suspends and reinstates idempotently', () => {
    const revoked: AdminEvent = { type: 'AdminKeyRevoked', data: { adminId: 'adm_1', kid: 'k1', revokedAt: T } };
    expect(decide([registered], { type: 'RevokeAdminKey', kid: 'k1', now: T })).toEqual([revoked]);
    expect(decide([registered, revoked], { type: 'RevokeAdminKey', kid: 'k1', now: T })).toEqual([]);
    expect(refusal(() => decide([registered, revoked], { type: 'AddAdminKey', key: key('k1'), now: T }))).toBe('conflict');
    const suspended: AdminEvent = { type: 'AdminSuspended', data: { adminId: 'adm_1', reason: 'r', suspendedAt: T } };
    expect(decide([registered], { type: 'SuspendAdmin', reason: 'r', now: T })).toEqual([suspended]);
    expect(decide([registered, suspended], { type: 'SuspendAdmin', reason: 'r', now: T })).toEqual([]);
    expect(decide([registered], { type: 'ReinstateAdmin', now: T })).toEqual([]);
    expect(refusal(() => decide([], { type: 'SuspendAdmin', reason: 'r', now: T }))).toBe('not-found');
  });

  it('admin ids and provider ids never overlap', () => {
    expect(isAdminId('adm_0b8e')).toBe(true);
    expect(isAdminId('adm_')).toBe(false);
    expect(isAdminId('0b8e6c1a-0000-4000-8000-000000000000')).toBe(false);
    expect(isAdminId('my-provider')).toBe(false);
  });
});
