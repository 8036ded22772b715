import { describe, expect, it } from 'vitest';
import { retentionDecider, type PurgeCandidate, type RetentionCommand } from '../../commands/retention.ts';
import { DomainError } from '../../commands/errors.ts';
import type { RetentionEvent, RetentionPolicy } from '../../events/retention.ts';

/** given events / when command / then events or refusal */
function given(events: RetentionEvent[]) {
  const state = events.reduce(retentionDecider.evolve, retentionDecider.initialState());
  return {
    state,
    when(command: RetentionCommand) {
      let result: RetentionEvent[] | DomainError;
      try {
        result = retentionDecider.decide(command, state);
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        result = error;
      }
      return {
        then: (expected: RetentionEvent[]) => expect(result).toEqual(expected),
        thenRefused: (code: DomainError['code'], details?: Record<string, unknown>) => {
          expect(result).toBeInstanceOf(DomainError);
          expect((result as DomainError).code).toBe(code);
          if (details) expect((result as DomainError).details).toMatchObject(details);
        },
        result,
      };
    },
  };
}

const NOW = '2026-11-22T10:00:00.000Z';
const H = 3_600_000;
const defaults: RetentionPolicy = { failedAuthorizationRetentionMs: 24 * H, purgeEveryMs: 5 * 60_000 };
const change = (policy: RetentionPolicy, by = 'admin'): RetentionCommand => ({ type: 'ChangeRetentionPolicy', by, policy, defaults, now: NOW });
const act = (actId: string, sequence: number, reason = 'expired'): PurgeCandidate => ({ actId, sequence, reason });
const purge = (runId: string, acts: PurgeCandidate[]): RetentionCommand => ({ type: 'RecordPurge', runId, acts, retentionMs: 24 * H, cutoff: '2026-11-21T10:00:00.000Z', now: NOW });
const changed = (old: RetentionPolicy, next: RetentionPolicy): RetentionEvent => ({ type: 'RetentionPolicyChanged', data: { by: 'admin', old, new: next, changedAt: NOW } });

describe('retention decider: policy changes', () => {
  it('records the first change against the configured defaults, with who and when', () => {
    const next = { failedAuthorizationRetentionMs: H, purgeEveryMs: 60_000 };
    given([]).when(change(next)).then([changed(defaults, next)]);
  });

  it('records a later change against the previous one, not the defaults', () => {
    const first = { failedAuthorizationRetentionMs: H, purgeEveryMs: 60_000 };
    const second = { failedAuthorizationRetentionMs: 2 * H, purgeEveryMs: 60_000 };
    given([changed(defaults, first)]).when(change(second)).then([changed(first, second)]);
  });

  it('records nothing when the policy is the one in force', () => {
    given([]).when(change(defaults)).then([]);
    const first = { failedAuthorizationRetentionMs: H, purgeEveryMs: 60_000 };
    given([changed(defaults, first)]).when(change(first)).then([]);
  });

  const refused: Array<[string, RetentionPolicy, string]> = [
    ['a retention under a minute', { failedAuthorizationRetentionMs: 59_999, purgeEveryMs: 60_000 }, 'failedAuthorizationRetention'],
    ['a retention over a year', { failedAuthorizationRetentionMs: 366 * 24 * H, purgeEveryMs: 60_000 }, 'failedAuthorizationRetention'],
    ['a purge more often than every 10 s', { failedAuthorizationRetentionMs: H, purgeEveryMs: 9_999 }, 'purgeEvery'],
    ['a purge less often than daily', { failedAuthorizationRetentionMs: H, purgeEveryMs: 24 * H + 1 }, 'purgeEvery'],
    ['a fraction of a millisecond', { failedAuthorizationRetentionMs: H + 0.5, purgeEveryMs: 60_000 }, 'failedAuthorizationRetention'],
  ];
  for (const [what, policy, field] of refused) {
    it(`refuses ${what}, naming the field and its bounds`, () => {
      given([]).when(change(policy)).thenRefused('invalid-retention-policy', { field });
    });
  }

  it('accepts the bounds themselves', () => {
    const low = { failedAuthorizationRetentionMs: 60_000, purgeEveryMs: 10_000 };
    const high = { failedAuthorizationRetentionMs: 365 * 24 * H, purgeEveryMs: 24 * H };
    given([]).when(change(low)).then([changed(defaults, low)]);
    given([]).when(change(high)).then([changed(defaults, high)]);
  });

  it('the state holds the latest policy and who set it', () => {
    const first = { failedAuthorizationRetentionMs: H, purgeEveryMs: 60_000 };
    const { state } = given([changed(defaults, first)]);
    expect(state).toMatchObject({ policy: first, changedBy: 'admin', changedAt: NOW });
  });
});

describe('retention decider: purge records', () => {
  it('records the acts in log order with counts by reason and the stretch of the log they cover', () => {
    given([])
      .when(purge('run-1', [act('b', 12, 'attempts-exhausted'), act('a', 7), act('c', 20)]))
      .then([
        {
          type: 'RetentionPurgeExecuted',
          data: {
            runId: 'run-1',
            purgedActIds: ['a', 'b', 'c'],
            counts: { acts: 3, byReason: { expired: 2, 'attempts-exhausted': 1 } },
            fromSequence: 7,
            throughSequence: 20,
            retentionMs: 24 * H,
            cutoff: '2026-11-21T10:00:00.000Z',
            executedAt: NOW,
          },
        },
      ]);
  });

  it('a re-run of the same batch records nothing more (a run repeated after a crash)', () => {
    const first = given([]).when(purge('run-1', [act('a', 7), act('b', 12)])).result as RetentionEvent[];
    given(first).when(purge('run-1', [act('a', 7), act('b', 12)])).then([]);
  });

  it('a second worker that found an overlapping batch records only the acts the first did not', () => {
    const first = given([]).when(purge('run-1', [act('a', 7), act('b', 12)])).result as RetentionEvent[];
    const second = given(first).when(purge('run-2', [act('a', 7), act('b', 12), act('c', 30)])).result as RetentionEvent[];
    expect(second).toHaveLength(1);
    expect(second[0]!.data).toMatchObject({ runId: 'run-2', purgedActIds: ['c'], counts: { acts: 1 }, fromSequence: 30, throughSequence: 30 });
  });

  it('names an act once even when the batch repeats it', () => {
    const [event] = given([]).when(purge('run-1', [act('a', 7), act('a', 7)])).result as RetentionEvent[];
    expect(event!.data).toMatchObject({ purgedActIds: ['a'], counts: { acts: 1 } });
  });

  it('records nothing for an empty batch, and refuses one without a run id', () => {
    given([]).when(purge('run-1', [])).then([]);
    given([]).when(purge('', [act('a', 1)])).thenRefused('invalid-request');
  });

  it('the state counts what was purged and keeps the policy', () => {
    const policy = { failedAuthorizationRetentionMs: H, purgeEveryMs: 60_000 };
    const events = [changed(defaults, policy), ...(given([]).when(purge('run-1', [act('a', 7), act('b', 12)])).result as RetentionEvent[])];
    expect(given(events).state).toMatchObject({ policy, purgedThrough: 12, purgedActs: 2, lastPurgeAt: NOW });
  });
});
