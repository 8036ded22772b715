import type { DomainEvent } from './envelope.ts';
import type { AdminRole } from './admin.ts';

/**
 * The `change-<changeId>` streams: a change that takes effect only once a second admin confirms it
 * (four eyes). The proposal says what is to be done (`kind` and its `payload`, read by that kind's
 * owner), which role a confirmer needs and until when; the confirmation names the second admin; the
 * application records that the owning service has carried it out. Admins appear as their actors
 * (`admin:<adminId>`), as in the events' metadata.
 */
/** What waits for a second admin (a type, not an interface: event data is a plain record). */
export type ChangeProposal = {
  changeId: string;
  kind: string;
  /** What the change does, in the shape its kind defines; never personal data. */
  payload: Record<string, unknown>;
  requiredRole: AdminRole;
  proposedBy: string;
  proposedAt: string;
  expiresAt: string;
};

export type ChangeEvent =
  | DomainEvent<'ChangeProposed', ChangeProposal>
  | DomainEvent<'ChangeConfirmed', { changeId: string; confirmedBy: string; confirmedAt: string }>
  | DomainEvent<'ChangeApplied', { changeId: string; appliedAt: string }>;

export type ChangeEventType = ChangeEvent['type'];

export const changeEventTypes = ['ChangeProposed', 'ChangeConfirmed', 'ChangeApplied'] as const satisfies ReadonlyArray<ChangeEventType>;
