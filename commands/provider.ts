import type { Environment, ProviderEvent, ProviderKey } from '../events/provider.ts';
import type { Decider } from './decider.ts';
import { refuse } from './errors.ts';
import { decideImport, type ImportProviderRecord } from './provider-import.ts';
import { decideOnboarding, evolveOnboarding, initialOnboarding, isOnboardingCommand, supportWindowEnd, type OnboardingCommand, type OnboardingState } from './provider-onboarding.ts';

export interface ProviderState {
  exists: boolean;
  providerId: string;
  name: string;
  /** Keys by kid; revoked ones stay, marked, so a revoked kid can never be re-added. */
  keys: Record<string, ProviderKey & { revoked: boolean }>;
  returnUrls: string[];
  suspended: boolean;
  registeredAt?: string;
  /** Applications, access, certificates and decisions on the way to production (provider-onboarding.ts). */
  onboarding: OnboardingState;
}

export type ProviderCommand =
  /**
   * `environment` is the ledger's. In the simulator, registering admits: the simulator is where an
   * integrator starts, self-service, and its support window runs from registration. Elsewhere a
   * provider is admitted by an approved application, and signs with registered certificates, not
   * plain keys.
   */
  | { type: 'RegisterProvider'; providerId: string; name: string; keys: ProviderKey[]; returnUrls: string[]; environment: Environment; now: string }
  | { type: 'AddProviderKey'; key: ProviderKey; environment: Environment; now: string }
  | { type: 'RevokeProviderKey'; kid: string; now: string }
  | { type: 'ChangeProviderReturnUrls'; returnUrls: string[]; now: string }
  | { type: 'SuspendProvider'; reason: string; now: string }
  | { type: 'ReinstateProvider'; now: string }
  | OnboardingCommand
  | ImportProviderRecord;

export const providerDecider: Decider<ProviderState, ProviderCommand, ProviderEvent> = {
  initialState: () => ({ exists: false, providerId: '', name: '', keys: {}, returnUrls: [], suspended: false, onboarding: initialOnboarding() }),

  evolve(state, event) {
    switch (event.type) {
      case 'ProviderRegistered':
        return {
          ...state,
          exists: true,
          providerId: event.data.providerId,
          name: event.data.name,
          keys: Object.fromEntries(event.data.keys.map((k) => [k.kid, { ...k, revoked: false }])),
          returnUrls: event.data.returnUrls,
          suspended: false,
          registeredAt: event.data.registeredAt,
        };
      case 'ProviderKeyAdded':
        return { ...state, keys: { ...state.keys, [event.data.key.kid]: { ...event.data.key, revoked: false } } };
      case 'ProviderKeyRevoked': {
        const key = state.keys[event.data.kid];
        return key ? { ...state, keys: { ...state.keys, [event.data.kid]: { ...key, revoked: true } } } : state;
      }
      case 'ProviderReturnUrlsChanged':
        return { ...state, returnUrls: event.data.returnUrls };
      case 'ProviderSuspended':
        return { ...state, suspended: true };
      case 'ProviderReinstated':
        return { ...state, suspended: false };
      case 'ApplicationFiled':
        // An application may open the stream: the provider is known by it before it is registered.
        return { ...state, providerId: state.providerId || event.data.providerId, onboarding: evolveOnboarding(state.onboarding, event) };
      default:
        return { ...state, onboarding: evolveOnboarding(state.onboarding, event) };
    }
  },

  decide(command, state) {
    if (isOnboardingCommand(command)) return decideOnboarding(command, state.onboarding, state.providerId);
    if (command.type === 'ImportProviderRecord') return decideImport(command, state);
    switch (command.type) {
      case 'RegisterProvider':
      {
        if (state.exists) refuse('conflict', 'provider already registered');
        const simulator = command.environment === 'simulator';
        if (simulator && command.keys.length === 0) refuse('invalid-request', 'a provider in the simulator needs at least one key');
        if (!simulator && command.keys.length > 0) {
          refuse('invalid-request', `in the ${command.environment} environment providers sign with registered signing certificates, not plain keys`);
        }
        assertDistinctKids(command.keys);
        const { providerId, name, keys, returnUrls, now } = command;
        const registration: ProviderEvent = { type: 'ProviderRegistered', data: { providerId, name, keys, returnUrls, registeredAt: now } };
        if (!simulator) return [registration];
        return [registration, { type: 'EnvironmentAccessGranted', data: { providerId, environment: 'simulator', supportUntil: supportWindowEnd('simulator', now), grantedAt: now } }];
      }
      case 'AddProviderKey':
        if (command.environment !== 'simulator') refuse('invalid-request', `in the ${command.environment} environment providers sign with registered signing certificates, not plain keys`);
        if (state.keys[command.key.kid]) refuse('conflict', `key ${command.key.kid} already exists`);
        return [{ type: 'ProviderKeyAdded', data: { providerId: registered(state), key: command.key, addedAt: command.now } }];
      case 'RevokeProviderKey': {
        const providerId = registered(state);
        const key = state.keys[command.kid];
        if (!key) refuse('key-unknown', `key ${command.kid} is not registered`);
        if (key.revoked) return [];
        return [{ type: 'ProviderKeyRevoked', data: { providerId, kid: command.kid, revokedAt: command.now } }];
      }
      case 'ChangeProviderReturnUrls':
        return [{ type: 'ProviderReturnUrlsChanged', data: { providerId: registered(state), returnUrls: command.returnUrls, changedAt: command.now } }];
      case 'SuspendProvider': {
        const providerId = registered(state);
        if (state.suspended) return [];
        return [{ type: 'ProviderSuspended', data: { providerId, reason: command.reason, suspendedAt: command.now } }];
      }
      case 'ReinstateProvider': {
        const providerId = registered(state);
        if (!state.suspended) return [];
        return [{ type: 'ProviderReinstated', data: { providerId, reinstatedAt: command.now } }];
      }
    }
  },
};

/** The provider's id; a provider never registered is not found. */
function registered(state: ProviderState): string {
  if (!state.exists) refuse('not-found', 'provider not found');
  return state.providerId;
}

function assertDistinctKids(keys: ProviderKey[]): void {
  const kids = new Set(keys.map((k) => k.kid));
  if (kids.size !== keys.length) refuse('invalid-request', 'key ids (kid) must be distinct');
}

/** Keys a provider may sign with now. */
export function activeKeys(state: ProviderState): ProviderKey[] {
  return Object.values(state.keys)
    .filter((k) => !k.revoked)
    .map(({ kid, jwk }) => ({ kid, jwk }));
}
