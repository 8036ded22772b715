import type { AdminRole } from '../events/admin.ts';
import type { ChangeEvent, ChangeProposal } from '../events/change.ts';
import type { Decider } from './decider.ts';
import { refuse } from './errors.ts';

export type { ChangeProposal };

export type ChangeState =
  | { status: 'none' }
  | { status: 'pending'; proposal: ChangeProposal }
  /** Confirmed, and the owning service not yet known to have carried it out (a crash in between). */
  | { status: 'confirmed'; proposal: ChangeProposal; confirmedBy: string; confirmedAt: string }
  | { status: 'applied'; proposal: ChangeProposal; confirmedBy: string; confirmedAt: string; appliedAt: string };

export type ChangeCommand =
  | { type: 'ProposeChange'; proposal: ChangeProposal; proposerRoles: readonly AdminRole[] }
  /** `by` is the confirmer's actor (`admin:<id>`), `roles` what they hold. */
  | { type: 'ConfirmChange'; by: string; roles: readonly AdminRole[]; now: string }
  | { type: 'RecordChangeApplied'; now: string };

/**
 * Four eyes: a change proposed by one admin is confirmed by another holding the role it needs,
 * before it expires, once. The proposer confirming their own change is refused whatever roles they
 * hold: that is the point of a second pair of eyes.
 */
export const changeDecider: Decider<ChangeState, ChangeCommand, ChangeEvent> = {
  initialState: () => ({ status: 'none' }),

  evolve(state, event) {
    switch (event.type) {
      case 'ChangeProposed':
        return { status: 'pending', proposal: { ...event.data } };
      case 'ChangeConfirmed':
        if (state.status !== 'pending') return state;
        return { status: 'confirmed', proposal: state.proposal, confirmedBy: event.data.confirmedBy, confirmedAt: event.data.confirmedAt };
      case 'ChangeApplied':
        if (state.status !== 'confirmed') return state;
        return { ...state, status: 'applied', appliedAt: event.data.appliedAt };
    }
  },

  decide(command, state) {
    switch (command.type) {
      case 'ProposeChange': {
        if (state.status !== 'none') refuse('conflict', 'a change with this id exists already');
        const { proposal } = command;
        if (!command.proposerRoles.includes(proposal.requiredRole)) {
          refuse('change-role-missing', `proposing this change needs the ${proposal.requiredRole} role`, { requiredRole: proposal.requiredRole });
        }
        if (!(Date.parse(proposal.expiresAt) > Date.parse(proposal.proposedAt))) refuse('invalid-request', 'a change must expire after it is proposed');
        return [{ type: 'ChangeProposed', data: { ...proposal } }];
      }
      case 'ConfirmChange': {
        if (state.status === 'none') refuse('not-found', 'no such change');
        const { proposal } = state;
        if (state.status !== 'pending') {
          refuse('change-already-confirmed', `this change was confirmed already, by ${state.confirmedBy}`, { changeId: proposal.changeId, confirmedBy: state.confirmedBy, confirmedAt: state.confirmedAt });
        }
        if (command.by === proposal.proposedBy) {
          refuse('change-self-confirmation', 'a change must be confirmed by an admin other than the one who proposed it', { changeId: proposal.changeId, proposedBy: proposal.proposedBy });
        }
        if (!command.roles.includes(proposal.requiredRole)) {
          refuse('change-role-missing', `confirming this change needs the ${proposal.requiredRole} role`, { changeId: proposal.changeId, requiredRole: proposal.requiredRole });
        }
        if (Date.parse(command.now) >= Date.parse(proposal.expiresAt)) {
          refuse('change-expired', `this change expired at ${proposal.expiresAt} unconfirmed; propose it again`, { changeId: proposal.changeId, expiresAt: proposal.expiresAt });
        }
        return [{ type: 'ChangeConfirmed', data: { changeId: proposal.changeId, confirmedBy: command.by, confirmedAt: command.now } }];
      }
      case 'RecordChangeApplied': {
        if (state.status === 'applied') return [];
        if (state.status !== 'confirmed') refuse('conflict', 'only a confirmed change can be recorded as applied');
        return [{ type: 'ChangeApplied', data: { changeId: state.proposal.changeId, appliedAt: command.now } }];
      }
    }
  },
};

/** Where a change stands at `now`: a pending change past its time is expired (no event needed: nothing can confirm it any more). */
export function changeStatus(state: Exclude<ChangeState, { status: 'none' }>, now: string): 'pending' | 'expired' | 'confirmed' | 'applied' {
  if (state.status === 'pending' && Date.parse(now) >= Date.parse(state.proposal.expiresAt)) return 'expired';
  return state.status;
}
