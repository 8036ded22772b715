import { streamId, type RecordedEvent } from '../events/envelope.ts';
import type { AdminRole } from '../events/admin.ts';
import type { ChangeProposal } from '../events/change.ts';
import type { Change, Projection } from './projection.ts';

/**
 * A four-eyes change as admins list it. `status` is what the events say (pending, confirmed,
 * applied); a pending change past `expiresAt` is expired, which readers tell by the time, since no
 * event marks it.
 */
export interface AdminChangeDoc extends ChangeProposal {
  status: 'pending' | 'confirmed' | 'applied';
  confirmedBy?: string;
  confirmedAt?: string;
  appliedAt?: string;
}

export const ADMIN_CHANGES = 'admin_changes';

export const adminChangesProjection: Projection = {
  name: 'admin-changes',
  version: 1,
  collections: [{ name: ADMIN_CHANGES, indexes: ['status', 'proposedAt', 'expiresAt'] }],
  handles: ['ChangeProposed', 'ChangeConfirmed', 'ChangeApplied'],
  project(event: RecordedEvent): Change[] {
    const changeId = streamId(event.streamName, 'change');
    if (!changeId) return [];
    const d = event.data;
    switch (event.type) {
      case 'ChangeProposed': {
        const doc: AdminChangeDoc = {
          changeId,
          kind: String(d.kind),
          payload: d.payload as Record<string, unknown>,
          requiredRole: d.requiredRole as AdminRole,
          proposedBy: String(d.proposedBy),
          proposedAt: String(d.proposedAt),
          expiresAt: String(d.expiresAt),
          status: 'pending',
        };
        return [{ collection: ADMIN_CHANGES, op: 'put', id: changeId, doc }];
      }
      case 'ChangeConfirmed':
        return [{ collection: ADMIN_CHANGES, op: 'merge', id: changeId, doc: { status: 'confirmed', confirmedBy: String(d.confirmedBy), confirmedAt: String(d.confirmedAt) } }];
      case 'ChangeApplied':
        return [{ collection: ADMIN_CHANGES, op: 'merge', id: changeId, doc: { status: 'applied', appliedAt: String(d.appliedAt) } }];
      default:
        return [];
    }
  },
};
