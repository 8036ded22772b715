import type { ChangeEventType } from './change.ts';
import { ADMIN_ROLES } from './admin.ts';
import { exactly, instant, oneOf, text, type JsonSchema } from './json-schema.ts';

/** The data of each event of the `change-<changeId>` streams. */
export const changeEventSchemas = {
  ChangeProposed: exactly({
    changeId: text,
    kind: text,
    // Each kind reads its own payload; the envelope only promises an object.
    payload: { type: 'object' },
    requiredRole: oneOf(ADMIN_ROLES),
    proposedBy: text,
    proposedAt: instant,
    expiresAt: instant,
  }),
  ChangeConfirmed: exactly({ changeId: text, confirmedBy: text, confirmedAt: instant }),
  ChangeApplied: exactly({ changeId: text, appliedAt: instant }),
} as const satisfies Record<ChangeEventType, JsonSchema>;
