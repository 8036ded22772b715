import type { RecordedEvent } from '../../events/envelope.ts';
import type { AuthorizationMethod, FailureReason } from '../../events/act.ts';
import { recordedEvent } from './projection-spec.ts';

/** Decoded act events for projection specs: valid by their schemas, with readable defaults. */

export const T0 = '2026-11-20T08:00:00.000Z';
export const DOCUMENT = 'a'.repeat(64);

export const personal = { sepp: 'CZ/CZ/bsi-of-jana', aifo: 'aifo-jana', documentHash: DOCUMENT, name: 'Tax return 2025', description: 'Annual income tax return' };

/** ActRegistered, unsealed; `erased`: its key was destroyed, so its personal fields are gone. */
export function actRegistered(actId: string, options: { erased?: boolean; revision?: number; position?: number } = {}): RecordedEvent {
  return recordedEvent(
    `act-${actId}`,
    'ActRegistered',
    {
      actId,
      providerId: 'tax-office',
      providerName: 'Finanční úřad',
      methods: ['authentication', 'sms'],
      loa: 'substantial',
      gateway: 'national',
      requestDigest: 'd'.repeat(64),
      attemptsAllowed: 5,
      registeredAt: T0,
      expiresAt: '2026-11-21T08:00:00.000Z',
      ...(options.erased ? { erased: true } : personal),
    },
    { revision: options.revision ?? 0, ...(options.position ? { position: options.position } : {}) },
  );
}

export function actAuthorized(actId: string, method: AuthorizationMethod = 'sms', authorizedAt = '2026-11-20T08:05:00.000Z', at: { position?: number } = {}): RecordedEvent {
  return recordedEvent(`act-${actId}`, 'ActAuthorized', { method, loa: method === 'authentication' ? 'high' : null, authorizedAt }, { revision: 3, ...at });
}

export function actFailed(actId: string, reason: FailureReason = 'expired', failedAt = '2026-11-21T08:00:00.000Z', at: { position?: number } = {}): RecordedEvent {
  return recordedEvent(`act-${actId}`, 'ActAuthorizationFailed', { reason, failedAt }, { revision: 3, ...at });
}

/** The act's person said the failed attempt was not theirs. */
export function authorizationDisputed(actId: string, reportedAt = '2026-11-21T09:00:00.000Z', at: { position?: number } = {}): RecordedEvent {
  return recordedEvent(`act-${actId}`, 'AuthorizationDisputed', { reportedAt }, { revision: 4, ...at });
}

export function codeIssued(actId: string): RecordedEvent {
  return recordedEvent(
    `act-${actId}`,
    'CodeIssued',
    { codeId: 'code-1', channel: 'sms', verifier: 'e'.repeat(64), issuedAt: T0, expiresAt: '2026-11-20T08:05:00.000Z', destinationHint: '+420 *** *** 123' },
    { revision: 1 },
  );
}

export function purgeExecuted(purgedActIds: string[], at: { revision?: number; position?: number } = {}): RecordedEvent {
  return recordedEvent(
    'retention',
    'RetentionPurgeExecuted',
    {
      runId: 'run-1',
      purgedActIds,
      counts: { acts: purgedActIds.length, byReason: { expired: purgedActIds.length } },
      fromSequence: 1,
      throughSequence: 50,
      retentionMs: 86_400_000,
      cutoff: '2026-11-21T08:00:00.000Z',
      executedAt: '2026-11-22T08:00:00.000Z',
    },
    at,
  );
}

export function policyChanged(retentionMs: number, at: { revision?: number; position?: number } = {}): RecordedEvent {
  return recordedEvent(
    'retention',
    'RetentionPolicyChanged',
    {
      by: 'admin:ops',
      old: { failedAuthorizationRetentionMs: 86_400_000, purgeEveryMs: 300_000 },
      new: { failedAuthorizationRetentionMs: retentionMs, purgeEveryMs: 300_000 },
      changedAt: '2026-11-20T09:00:00.000Z',
    },
    at,
  );
}
