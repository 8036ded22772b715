import { streamNames } from '../../../events/envelope.ts';
import { adminActor, type AdminRole } from '../../../events/admin.ts';
import { changeDecider, changeStatus, type ChangeCommand, type ChangeProposal, type ChangeState } from '../../../commands/change.ts';
import { DomainError } from '../../../commands/errors.ts';
import { ADMIN_CHANGES, type AdminChangeDoc } from '../../../projections/admin-changes.ts';
import type { EventStore } from '../../ports/event-store.ts';
import type { ReadModelStore } from '../../ports/read-model-store.ts';
import { handleCommand, loadState } from '../command-handler.ts';
import { newId, uuidFromName } from '../ids.ts';
import type { ChangeKinds } from './change-kinds.ts';

/** Who asks: an admin and the roles they hold (the HTTP edge's admin principal has this shape). */
export interface ActingAdmin {
  adminId: string;
  roles: readonly AdminRole[];
  bootstrap: boolean;
}

export type ChangeStatus = 'pending' | 'expired' | 'confirmed' | 'applied';

/** A change as admins see it. Admins appear as actors (`admin:<adminId>`). */
export interface ChangeView extends ChangeProposal {
  status: ChangeStatus;
  confirmedBy?: string;
  confirmedAt?: string;
  appliedAt?: string;
}

export interface ProposedChange {
  changeId: string;
  status: 'awaiting-confirmation';
  expiresAt: string;
  /** Global position of the proposal: wait for it before reading the list. */
  position: number;
}

export interface ConfirmedChange {
  change: ChangeView;
  /** What the owning service answered when it applied the change. */
  result: Record<string, unknown>;
  /** Global position of the last event written (the application record). */
  position?: number;
}

export interface AdminChangesDeps {
  eventStore: EventStore;
  readModels: ReadModelStore;
  kinds: ChangeKinds;
  /** How long a proposal waits for its confirmation (LEDGER_CHANGE_CONFIRMATION_TTL). */
  confirmationTtlMs: number;
  clock: () => Date;
}

/**
 * Four eyes: changes one admin proposes and a second, holding the role the kind needs, confirms;
 * the confirmation applies the change through the service that owns it. The order of writes keeps
 * the record and the effect together: ChangeConfirmed first (the second admin's decision), then the
 * effect with event ids derived from the change id, then ChangeApplied. A crash after the
 * confirmation leaves the change `confirmed`; the next confirmation request (by any admin who may
 * confirm it) finishes the application instead of refusing, and the derived ids keep the effect
 * from being written twice.
 */
export class AdminChanges {
  constructor(private readonly deps: AdminChangesDeps) {}

  /** Records a proposal of `kind` by `by`; nothing of it takes effect until confirmed. */
  async propose(by: ActingAdmin, kind: string, payload: Record<string, unknown>): Promise<ProposedChange> {
    const { requiredRole } = this.deps.kinds.get(kind);
    const changeId = newId();
    const now = this.deps.clock();
    const proposal: ChangeProposal = {
      changeId,
      kind,
      payload,
      requiredRole,
      proposedBy: adminActor(by.adminId),
      proposedAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + this.deps.confirmationTtlMs).toISOString(),
    };
    const result = await this.write(changeId, { type: 'ProposeChange', proposal, proposerRoles: by.roles }, proposal.proposedBy, proposal.proposedAt);
    return { changeId, status: 'awaiting-confirmation', expiresAt: proposal.expiresAt, position: result.position! };
  }

  /** Confirms `changeId` as `by` and applies it; refuses self-confirmation, a missing role, an expired or an already applied change. */
  async confirm(by: ActingAdmin, changeId: string): Promise<ConfirmedChange> {
    const actor = adminActor(by.adminId);
    const now = this.deps.clock().toISOString();
    const streamName = streamNames.change(changeId);
    let loaded = await loadState(this.deps.eventStore, streamName, changeDecider);
    let retry = false;
    let confirmationId: string;
    if (loaded.state.status === 'confirmed') {
      // Confirmed before, not recorded as applied: finish the application, if this admin could have confirmed it.
      const { proposal } = loaded.state;
      if (actor === proposal.proposedBy) throw new DomainError('change-self-confirmation', 'a change must be confirmed by an admin other than the one who proposed it', { changeId, proposedBy: proposal.proposedBy });
      if (!by.roles.includes(proposal.requiredRole)) throw new DomainError('change-role-missing', `confirming this change needs the ${proposal.requiredRole} role`, { changeId, requiredRole: proposal.requiredRole });
      retry = true;
      const recorded = await this.deps.eventStore.readStream(streamName);
      confirmationId = recorded.find((e) => e.type === 'ChangeConfirmed')!.metadata.eventId;
    } else {
      // A random id: a second admin confirming at the same moment conflicts, decides again and is refused as too late.
      confirmationId = newId();
      const confirmed = await this.write(changeId, { type: 'ConfirmChange', by: actor, roles: by.roles, now }, actor, now, loaded, () => confirmationId);
      loaded = { state: confirmed.state, revision: confirmed.revision };
    }
    const state = loaded.state as Extract<ChangeState, { status: 'confirmed' }>;
    const { proposal } = state;
    const result = await this.deps.kinds.get(proposal.kind).apply(proposal.payload, {
      changeId,
      actor: state.confirmedBy,
      now: state.confirmedAt,
      correlationId: changeId,
      causationId: confirmationId,
      eventId: (index) => uuidFromName(`change-${changeId}:effect:${index}`),
      retry,
    });
    const applied = await this.write(changeId, { type: 'RecordChangeApplied', now }, actor, now, loaded);
    return { change: this.viewOf(applied.state as Exclude<ChangeState, { status: 'none' }>, now), result, ...(applied.position !== undefined ? { position: applied.position } : {}) };
  }

  /** One change as its stream tells it (read-your-writes), or undefined. */
  async get(changeId: string): Promise<ChangeView | undefined> {
    const { state } = await loadState(this.deps.eventStore, streamNames.change(changeId), changeDecider);
    return state.status === 'none' ? undefined : this.viewOf(state, this.deps.clock().toISOString());
  }

  /** Changes from the read model, newest proposal first; `pending` and `expired` are told apart by the clock. */
  async list(status: ChangeStatus | undefined, limit: number): Promise<ChangeView[]> {
    const now = this.deps.clock().toISOString();
    const stored = status === 'pending' || status === 'expired' ? 'pending' : status;
    // Pending and expired share a stored status: the few waiting changes are read whole and split by the clock.
    const docs = await this.deps.readModels.find<AdminChangeDoc>(ADMIN_CHANGES, {
      ...(stored ? { where: { status: stored } } : {}),
      sort: [{ field: 'proposedAt', direction: 'desc' }],
      ...(stored === 'pending' ? {} : { limit }),
    });
    const views = docs.map((doc) => ({ ...doc, status: doc.status === 'pending' && now >= doc.expiresAt ? ('expired' as const) : doc.status }));
    return (status ? views.filter((v) => v.status === status) : views).slice(0, limit);
  }

  private viewOf(state: Exclude<ChangeState, { status: 'none' }>, now: string): ChangeView {
    return {
      ...state.proposal,
      status: changeStatus(state, now),
      ...(state.status !== 'pending' ? { confirmedBy: state.confirmedBy, confirmedAt: state.confirmedAt } : {}),
      ...(state.status === 'applied' ? { appliedAt: state.appliedAt } : {}),
    };
  }

  /** Every event of a change, and the effect it causes, carry the change id as their correlation id. */
  private write(
    changeId: string,
    command: ChangeCommand,
    actor: string,
    now: string,
    known?: { state: ChangeState; revision: number },
    eventId?: () => string,
  ) {
    return handleCommand({
      store: this.deps.eventStore,
      streamName: streamNames.change(changeId),
      decider: changeDecider,
      command,
      context: { actor, now, correlationId: changeId },
      ...(known ? { known } : {}),
      ...(eventId ? { eventId } : {}),
    });
  }
}
