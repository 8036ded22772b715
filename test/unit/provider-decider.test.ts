import { describe, expect, it } from 'vitest';
import { activeKeys, providerDecider, type ProviderCommand } from '../../commands/provider.ts';
import { DomainError } from '../../commands/errors.ts';
import type { ProviderEvent } from '../../events/provider.ts';

const T = '2026-11-22T10:00:00.000Z';
const key = (kid: string) => ({ kid, jwk: { kty: 'OKP', crv: 'Ed25519', x: kid } });
const registered: ProviderEvent = {
  type: 'ProviderRegistered',
  data: { providerId: 'p1', name: 'P', keys: [key('k1')], returnUrls: ['https://p/r'], registeredAt: T },
};
const decide = (events: ProviderEvent[], command: ProviderCommand) => providerDecider.decide(command, events.reduce(providerDecider.evolve, providerDecider.initialState()));
const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return (error as DomainError).code;
  }
  return undefined;
};

describe('provider decider', () => {
  it('registers once, with at least one key and distinct kids', () => {
    expect(decide([], { type: 'RegisterProvider', providerId: 'p1', name: 'P', keys: [key('k1')], returnUrls: ['https://p/r'], now: T })).toEqual([registered]);
    expect(refusal(() => decide([registered], { type: 'RegisterProvider', providerId: 'p1', name: 'P', keys: [key('k1')], returnUrls: [], now: T }))).toBe('conflict');
    expect(refusal(() => decide([], { type: 'RegisterProvider', providerId: 'p1', name: 'P', keys: [], returnUrls: [], now: T }))).toBe('invalid-request');
    expect(refusal(() => decide([], { type: 'RegisterProvider', providerId: 'p1', name: 'P', keys: [key('a'), key('a')], returnUrls: [], now: T }))).toBe('invalid-request');
  });
  it('revokes keys for good: a revoked kid cannot come back', () => {
    const revoked: ProviderEvent = { type: 'ProviderKeyRevoked', data: { providerId: 'p1', kid: 'k1', revokedAt: T } };
    expect(decide([registered], { type: 'RevokeProviderKey', kid: 'k1', now: T })).toEqual([revoked]);
    expect(decide([registered, revoked], { type: 'RevokeProviderKey', kid: 'k1', now: T })).toEqual([]);
    expect(refusal(() => decide([registered, revoked], { type: 'AddProviderKey', key: key('k1'), now: T }))).toBe('conflict');
    expect(refusal(() => decide([registered], { type: 'RevokeProviderKey', kid: 'nope', now: T }))).toBe('key-unknown');
    const state = [registered, revoked].reduce(providerDecider.evolve, providerDecider.initialState());
    expect(activeKeys(state)).toEqual([]);
  });
  it('suspends and reinstates idempotently', () => {
    const suspended: ProviderEvent = { type: 'ProviderSuspended', data: { providerId: 'p1', reason: 'r', suspendedAt: T } };
    expect(decide([registered], { type: 'SuspendProvider', reason: 'r', now: T })).toEqual([suspended]);
    expect(decide([registered, suspended], { type: 'SuspendProvider', reason: 'r', now: T })).toEqual([]);
    expect(decide([registered], { type: 'ReinstateProvider', now: T })).toEqual([]);
    expect(decide([registered, suspended], { type: 'ReinstateProvider', now: T })).toHaveLength(1);
  });
  it('knows no commands for an unregistered provider', () => {
    expect(refusal(() => decide([], { type: 'SuspendProvider', reason: '', now: T }))).toBe('not-found');
    expect(new DomainError('not-found', 'x').code).toBe('not-found');
  });
});
