import { describe, expect, it } from 'vitest';
import { activeKeys, providerDecider, type ProviderCommand } from '../../commands/provider.ts';
import { DomainError } from '../../commands/errors.ts';
import type { Environment, ProviderEvent } from '../../events/provider.ts';

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
  const register = (keys: ReturnType<typeof key>[], environment: Environment = 'simulator', returnUrls: string[] = []): ProviderCommand => ({
    type: 'RegisterProvider', providerId: 'p1', name: 'P', keys, returnUrls, environment, now: T,
  });
  it('registers once in the simulator, with at least one key and distinct kids, and admits it for 21 days', () => {
    expect(decide([], register([key('k1')], 'simulator', ['https://p/r']))).toEqual([
      registered,
      { type: 'EnvironmentAccessGranted', data: { providerId: 'p1', environment: 'simulator', supportUntil: '2026-12-13T10:00:00.000Z', grantedAt: T } },
    ]);
    expect(refusal(() => decide([registered], register([key('k1')])))).toBe('conflict');
    expect(refusal(() => decide([], register([])))).toBe('invalid-request');
    expect(refusal(() => decide([], register([key('a'), key('a')])))).toBe('invalid-request');
  });
  it('registers without plain keys and without access in integration and production: an application admits there', () => {
    for (const environment of ['integration', 'production'] as const) {
      const events = decide([], register([], environment));
      expect(events).toEqual([{ type: 'ProviderRegistered', data: { providerId: 'p1', name: 'P', keys: [], returnUrls: [], registeredAt: T } }]);
      expect(refusal(() => decide([], register([key('k1')], environment)))).toBe('invalid-request');
      expect(refusal(() => decide(events, { type: 'AddProviderKey', key: key('k2'), environment, now: T }))).toBe('invalid-request');
    }
  });
  it('revokes keys for good: a revoked kid cannot come back', () => {
    const revoked: ProviderEvent = { type: 'ProviderKeyRevoked', data: { providerId: 'p1', kid: 'k1', revokedAt: T } };
    expect(decide([registered], { type: 'RevokeProviderKey', kid: 'k1', now: T })).toEqual([revoked]);
    expect(decide([registered, revoked], { type: 'RevokeProviderKey', kid: 'k1', now: T })).toEqual([]);
    expect(refusal(() => decide([registered, revoked], { type: 'AddProviderKey', key: key('k1'), environment: 'simulator', now: T }))).toBe('conflict');
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
