import {
  ADMIN_ACTIVITY,
  ADMIN_ACTIVITY_BY_ADMIN,
  ADMIN_ACTIVITY_HEAD,
  ALL_ADMINS_HEAD,
  activityKey,
  adminActivityKey,
  adminHeadKey,
  type AdminActivityEntry,
  type AdminActivityHead,
} from '../../../projections/admin-activity.ts';
import type { ReadModelStore } from '../../ports/read-model-store.ts';

export interface AdminActivityQuery {
  /** Only this admin's actions (`bootstrap` for the bootstrap credential's). */
  adminId?: string;
  /** Only actions that occurred after this instant (ISO 8601). */
  after?: string;
  /** The cursor: continue below this entry number (a page's `next`), with the same `adminId`. */
  before?: number;
  limit: number;
}

export interface AdminActivityPage {
  activity: AdminActivityEntry[];
  /** Pass as `before` for the next (older) page; absent on the last one. */
  next?: number;
}

/** Admins' actions, newest first, from the admin-activity read model. Reads only. */
export class AdminActivity {
  constructor(private readonly readModels: Pick<ReadModelStore, 'get'>) {}

  async list(query: AdminActivityQuery): Promise<AdminActivityPage> {
    const headId = query.adminId === undefined ? ALL_ADMINS_HEAD : adminHeadKey(query.adminId);
    const count = (await this.readModels.get<AdminActivityHead>(ADMIN_ACTIVITY_HEAD, headId))?.count ?? 0;
    const top = Math.min(count, query.before === undefined ? count : query.before - 1);
    const numbers: number[] = [];
    for (let n = top; n >= 1 && numbers.length < query.limit; n--) numbers.push(n);
    const entries = await Promise.all(
      numbers.map((n) =>
        query.adminId === undefined
          ? this.readModels.get<AdminActivityEntry>(ADMIN_ACTIVITY, activityKey(n))
          : this.readModels.get<AdminActivityEntry>(ADMIN_ACTIVITY_BY_ADMIN, adminActivityKey(query.adminId, n)),
      ),
    );
    const activity: AdminActivityEntry[] = [];
    const after = query.after === undefined ? undefined : Date.parse(query.after);
    for (const entry of entries) {
      if (!entry) continue;
      // Newest first: the first entry at or before `after` ends the listing.
      if (after !== undefined && Date.parse(entry.occurredAt) <= after) return { activity };
      activity.push(entry);
    }
    const lowest = numbers.at(-1);
    return { activity, ...(lowest !== undefined && lowest > 1 ? { next: lowest } : {}) };
  }
}
