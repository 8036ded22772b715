import { describe, expect, it } from 'vitest';
import { providerDecider, type ProviderState } from '../../commands/provider.ts';
import { DomainError } from '../../commands/errors.ts';
import type { Environment, ProviderEvent } from '../../events/provider.ts';
import { ActAsGrants, TransportRefusedError } from '../../src/app/providers/act-as-grants.ts';

const T = '2026-12-01T10:00:00.000Z';
const registered: ProviderEvent = { type: 'ProviderRegistered', data: { providerId: 'p1', name: 'P', keys: [], returnUrls: [], registeredAt: T } };
const access = (environment: Environment, supportUntil: string | null): ProviderEvent => ({
  type: 'EnvironmentAccessGranted',
  data: { providerId: 'p1', environment, supportUntil, grantedAt: T },
});
const stateOf = (events: ProviderEvent[]): ProviderState => events.reduce(providerDecider.evolve, providerDecider.initialState());

/** Grants in `environment` at `now` over a provider folded from `events`; the issued token is a placeholder. */
function grants(environment: Environment, events: ProviderEvent[], options: { now?: string; mutualTls?: boolean } = {}) {
  const issued: Array<{ providerId: string; certificateThumbprint?: string }> = [];
  const service = new ActAsGrants({
    providers: { get: async () => stateOf(events) },
    tokens: {
      issue: async (providerId: string, _now?: number, o: { certificateThumbprint?: string } = {}) => {
        issued.push({ providerId, ...o });
        return { token: 'token', expiresIn: 300 };
      },
    },
    environment,
    mutualTls: options.mutualTls ?? false,
    clock: () => new Date(options.now ?? T),
  });
  return { service, issued };
}

const refusal = async (promise: Promise<unknown>) => {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DomainError) return error.code;
    if (error instanceof TransportRefusedError) return error.reason;
    throw error;
  }
  return undefined;
};

describe('ActAs grants: a token only with access to this environment', () => {
  it('refuses a provider never admitted here, whatever it has elsewhere', async () => {
    expect(await refusal(grants('integration', [registered]).service.issue('p1', undefined))).toBe('environment-access-missing');
    // Access recorded for another environment does not open this one.
    expect(await refusal(grants('production', [registered, access('integration', '2026-12-31T00:00:00.000Z')]).service.issue('p1', undefined))).toBe('environment-access-missing');
  });
  it('in production, needs activation on top of access', async () => {
    const approved = [registered, access('production', null)];
    expect(await refusal(grants('production', approved).service.issue('p1', undefined))).toBe('production-not-activated');
    const activated: ProviderEvent = { type: 'ProductionActivated', data: { providerId: 'p1', by: 'admin:a', at: T } };
    expect(await refusal(grants('production', [...approved, activated]).service.issue('p1', undefined))).toBeUndefined();
  });
  it('inside the support window only', async () => {
    const events = [registered, access('integration', '2026-12-31T00:00:00.000Z')];
    expect(await refusal(grants('integration', events, { now: '2026-12-30T23:59:59.000Z' }).service.issue('p1', undefined))).toBeUndefined();
    expect(await refusal(grants('integration', events, { now: '2026-12-31T00:00:00.000Z' }).service.issue('p1', undefined))).toBe('environment-access-expired');
  });
  it('over mutual TLS, binds the token to a current transport certificate of the provider', async () => {
    const transport: ProviderEvent = {
      type: 'CertificateRegistered',
      data: {
        providerId: 'p1', environment: 'integration', certificateId: 'c1', purpose: 'transport', thumbprintSha256: 'thumb-1', subject: 'CN=p1',
        notBefore: '2026-11-01T00:00:00.000Z', notAfter: '2027-11-01T00:00:00.000Z', profile: { keyType: 'ec', curve: 'P-256', signatureAlgorithm: 'ecdsa-with-SHA256' },
        publicJwk: { kty: 'EC' }, registeredAt: T,
      },
    };
    const events = [registered, access('integration', '2026-12-31T00:00:00.000Z'), transport];
    const { service, issued } = grants('integration', events, { mutualTls: true });
    expect(await refusal(service.issue('p1', undefined))).toBe('client-certificate-required');
    expect(await refusal(service.issue('p1', 'thumb-2'))).toBe('client-certificate-unknown');
    await service.issue('p1', 'thumb-1');
    expect(issued).toEqual([{ providerId: 'p1', certificateThumbprint: 'thumb-1' }]);
    const state = stateOf(events);
    expect(() => service.checkTransport(state, 'thumb-1', 'thumb-1')).not.toThrow();
    expect(() => service.checkTransport(state, 'thumb-0', 'thumb-1')).toThrow(TransportRefusedError);
    // A token bound to a certificate is not taken without it, even where mutual TLS is off.
    expect(() => grants('integration', events).service.checkTransport(state, 'thumb-1', undefined)).toThrow(TransportRefusedError);
    expect(() => grants('integration', events).service.checkTransport(state, undefined, undefined)).not.toThrow();
  });
});
