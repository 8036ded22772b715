import { describe, expect, it } from 'vitest';
import { changeDecider, changeStatus, type ChangeCommand, type ChangeProposal } from '../../commands/change.ts';
import { DomainError } from '../../commands/errors.ts';
import type { ChangeEvent } from '../../events/change.ts';
import type { AdminRole } from '../../events/admin.ts';

/** given events / when command / then events or refusal */
function given(events: ChangeEvent[]) {
  const state = events.reduce(changeDecider.evolve, changeDecider.initialState());
  return {
    state,
    when(command: ChangeCommand) {
      let result: ChangeEvent[] | DomainError;
      try {
        result = changeDecider.decide(command, state);
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        result = error;
      }
      return {
        then: (expected: ChangeEvent[]) => expect(result).toEqual(expected),
        thenRefused: (code: DomainError['code'], details?: Record<string, unknown>) => {
          expect(result).toBeInstanceOf(DomainError);
          expect((result as DomainError).code).toBe(code);
          if (details) expect((result as DomainError).details).toMatchObject(details);
        },
      };
    },
  };
}

const PROPOSED_AT = '2026-11-22T10:00:00.000Z';
const EXPIRES_AT = '2026-11-23T10:00:00.000Z';
const proposal: ChangeProposal = {
  changeId: 'c-1',
  kind: 'retention-shortening',
  payload: { policy: { failedAuthorizationRetentionMs: 3_600_000, purgeEveryMs: 300_000 } },
  requiredRole: 'retention',
  proposedBy: 'admin:alice',
  proposedAt: PROPOSED_AT,
  expiresAt: EXPIRES_AT,
};
const proposed: ChangeEvent = { type: 'ChangeProposed', data: { ...proposal } };
const confirmedByBob: ChangeEvent = { type: 'ChangeConfirmed', data: { changeId: 'c-1', confirmedBy: 'admin:bob', confirmedAt: '2026-11-22T11:00:00.000Z' } };
const confirm = (by: string, roles: AdminRole[], now = '2026-11-22T11:00:00.000Z'): ChangeCommand => ({ type: 'ConfirmChange', by, roles, now });

describe('change decider: four eyes', () => {
  it('records a proposal by an admin holding the role, and refuses one without it or proposed twice', () => {
    given([]).when({ type: 'ProposeChange', proposal, proposerRoles: ['retention'] }).then([proposed]);
    given([]).when({ type: 'ProposeChange', proposal, proposerRoles: ['registry'] }).thenRefused('change-role-missing', { requiredRole: 'retention' });
    given([proposed]).when({ type: 'ProposeChange', proposal, proposerRoles: ['retention'] }).thenRefused('conflict');
  });

  it('a second admin with the role confirms before the change expires', () => {
    given([proposed]).when(confirm('admin:bob', ['retention'])).then([confirmedByBob]);
  });

  it('refuses the proposer confirming their own change, whatever roles they hold', () => {
    given([proposed]).when(confirm('admin:alice', ['retention', 'admins'])).thenRefused('change-self-confirmation', { proposedBy: 'admin:alice' });
  });

  it('refuses a confirmer without the role the change needs', () => {
    given([proposed]).when(confirm('admin:carol', ['registry', 'providers'])).thenRefused('change-role-missing', { requiredRole: 'retention' });
  });

  it('refuses a confirmation at or past expiresAt, and tells the change as expired then', () => {
    given([proposed]).when(confirm('admin:bob', ['retention'], EXPIRES_AT)).thenRefused('change-expired', { expiresAt: EXPIRES_AT });
    given([proposed]).when(confirm('admin:bob', ['retention'], '2026-11-23T09:59:59.999Z')).then([{ ...confirmedByBob, data: { ...confirmedByBob.data, confirmedAt: '2026-11-23T09:59:59.999Z' } }]);
    const { state } = given([proposed]);
    if (state.status === 'none') expect.unreachable();
    expect(changeStatus(state, '2026-11-23T09:59:59.999Z')).toBe('pending');
    expect(changeStatus(state, EXPIRES_AT)).toBe('expired');
  });

  it('refuses a second confirmation, before and after the change is applied', () => {
    given([proposed, confirmedByBob]).when(confirm('admin:dave', ['retention'])).thenRefused('change-already-confirmed', { confirmedBy: 'admin:bob' });
    const applied: ChangeEvent = { type: 'ChangeApplied', data: { changeId: 'c-1', appliedAt: '2026-11-22T11:00:00.000Z' } };
    given([proposed, confirmedByBob, applied]).when(confirm('admin:dave', ['retention'])).thenRefused('change-already-confirmed');
    // A confirmed change expiring later is still confirmed: the time only ends what is still pending.
    const { state } = given([proposed, confirmedByBob, applied]);
    if (state.status === 'none') expect.unreachable();
    expect(changeStatus(state, '2027-01-01T00:00:00.000Z')).toBe('applied');
  });

  it('records the application once, and only of a confirmed change', () => {
    const applied: ChangeEvent = { type: 'ChangeApplied', data: { changeId: 'c-1', appliedAt: '2026-11-22T11:00:01.000Z' } };
    given([proposed, confirmedByBob]).when({ type: 'RecordChangeApplied', now: '2026-11-22T11:00:01.000Z' }).then([applied]);
    given([proposed, confirmedByBob, applied]).when({ type: 'RecordChangeApplied', now: '2026-11-22T11:00:02.000Z' }).then([]);
    given([proposed]).when({ type: 'RecordChangeApplied', now: '2026-11-22T11:00:01.000Z' }).thenRefused('conflict');
  });

  it('refuses confirming a change that does not exist', () => {
    given([]).when(confirm('admin:bob', ['retention'])).thenRefused('not-found');
  });
});
