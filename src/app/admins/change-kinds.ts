import type { AdminRole } from '../../../events/admin.ts';

/**
 * How a confirmed change is carried out. `eventId` gives the ids the owning service's events must
 * have (derived from the change id), so the effect is written once however often it is attempted;
 * `retry` is set when an earlier attempt may have written it already (the confirmation is recorded,
 * the application is not), and the kind then checks for it before writing again.
 */
export interface ChangeEffect {
  changeId: string;
  /** The confirming admin's actor: the effect is theirs as much as the proposer's. */
  actor: string;
  now: string;
  correlationId: string;
  /** The id of the change's ChangeConfirmed event: what caused the effect. */
  causationId: string;
  eventId: (index: number) => string;
  retry: boolean;
}

/**
 * One kind of change that needs four eyes: the role a confirmer must hold and how the owning service
 * applies it. `apply` answers what the change did, as plain JSON for the confirmer.
 */
export interface ChangeKind {
  kind: string;
  requiredRole: AdminRole;
  apply(payload: Record<string, unknown>, effect: ChangeEffect): Promise<Record<string, unknown>>;
}

/** The kinds of four-eyes change the ledger knows; each owning service registers its own at composition. */
export class ChangeKinds {
  private readonly kinds = new Map<string, ChangeKind>();

  register(kind: ChangeKind): void {
    if (this.kinds.has(kind.kind)) throw new Error(`change kind ${kind.kind} is registered twice`);
    this.kinds.set(kind.kind, kind);
  }

  get(kind: string): ChangeKind {
    const found = this.kinds.get(kind);
    if (!found) throw new Error(`change kind ${kind} is not registered`);
    return found;
  }

  names(): string[] {
    return [...this.kinds.keys()];
  }
}
