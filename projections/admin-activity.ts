import type { RecordedEvent } from '../events/envelope.ts';
import type { Change, Projection } from './projection.ts';

/**
 * What admins did, from the log: every event whose actor is `admin:<adminId>` (the bootstrap
 * credential's are `admin:bootstrap`), numbered densely in log order, overall and per admin. Read
 * models only filter on equal fields, so a page of the newest entries is a run of numbers counted
 * down from the head (or from a cursor) and read by id: no range query, on every store.
 */

/** One thing an admin caused: the event's envelope, nothing of its data. */
export interface AdminActivityEntry {
  /** 1, 2, 3... over all admins' events in log order; per admin in the by-admin collection. */
  number: number;
  adminId: string;
  type: string;
  streamName: string;
  eventId: string;
  correlationId: string;
  occurredAt: string;
  position: number;
}

/** How many entries there are, overall (`all`) and per admin (`admin:<adminId>`). */
export interface AdminActivityHead {
  count: number;
}

export const ADMIN_ACTIVITY = 'admin_activity';
export const ADMIN_ACTIVITY_BY_ADMIN = 'admin_activity_by_admin';
export const ADMIN_ACTIVITY_HEAD = 'admin_activity_head';
export const ALL_ADMINS_HEAD = 'all';

const ADMIN_ACTOR_PREFIX = 'admin:';

/** The document id of entry `number` (zero-padded, so ids sort as numbers do). */
export const activityKey = (number: number): string => String(number).padStart(12, '0');
export const adminActivityKey = (adminId: string, number: number): string => `${adminId}:${activityKey(number)}`;
export const adminHeadKey = (adminId: string): string => `admin:${adminId}`;

/** The admin an event's actor names, or undefined when no admin caused it. */
export function adminOf(event: Pick<RecordedEvent, 'metadata'>): string | undefined {
  const actor = event.metadata?.actor;
  return typeof actor === 'string' && actor.startsWith(ADMIN_ACTOR_PREFIX) && actor.length > ADMIN_ACTOR_PREFIX.length ? actor.slice(ADMIN_ACTOR_PREFIX.length) : undefined;
}

export const adminActivityProjection: Projection = {
  name: 'admin-activity',
  version: 1,
  collections: [
    { name: ADMIN_ACTIVITY, indexes: ['adminId'] },
    { name: ADMIN_ACTIVITY_BY_ADMIN, indexes: ['adminId'] },
    { name: ADMIN_ACTIVITY_HEAD, indexes: [] },
  ],
  // Any event type an admin can cause, now or later: only the envelope is read.
  handles: 'every-event',
  async project(event: RecordedEvent, read): Promise<Change[]> {
    const adminId = adminOf(event);
    if (!adminId) return [];
    const all = (await read.get<AdminActivityHead>(ADMIN_ACTIVITY_HEAD, ALL_ADMINS_HEAD))?.count ?? 0;
    const mine = (await read.get<AdminActivityHead>(ADMIN_ACTIVITY_HEAD, adminHeadKey(adminId)))?.count ?? 0;
    const entry = (number: number): AdminActivityEntry => ({
      number,
      adminId,
      type: event.type,
      streamName: event.streamName,
      eventId: event.metadata.eventId,
      correlationId: event.metadata.correlationId,
      occurredAt: event.metadata.occurredAt,
      position: event.position,
    });
    return [
      { collection: ADMIN_ACTIVITY, op: 'put', id: activityKey(all + 1), doc: entry(all + 1) },
      { collection: ADMIN_ACTIVITY_BY_ADMIN, op: 'put', id: adminActivityKey(adminId, mine + 1), doc: entry(mine + 1) },
      { collection: ADMIN_ACTIVITY_HEAD, op: 'put', id: ALL_ADMINS_HEAD, doc: { count: all + 1 } },
      { collection: ADMIN_ACTIVITY_HEAD, op: 'put', id: adminHeadKey(adminId), doc: { count: mine + 1 } },
    ];
  },
};
