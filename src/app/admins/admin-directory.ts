import { randomUUID } from 'node:crypto';
import { streamNames } from '../../../events/envelope.ts';
import { ADMIN_ID_PREFIX, isAdminId, type AdminEvent, type AdminKey, type AdminRole } from '../../../events/admin.ts';
import { adminDecider, type AdminCommand, type AdminState } from '../../../commands/admin.ts';
import type { EventStore } from '../../ports/event-store.ts';
import { handleCommand, loadState, type CommandContext } from '../command-handler.ts';

/** How long an admin access token lives: short, since it opens the admin plane; `ledger admin token` makes another. */
export const ADMIN_TOKEN_TTL_MS = 5 * 60_000;

/** How long an admin's folded state may be served from memory before the stream is read again. */
const CACHE_MS = 1000;

/**
 * Named admins: commands on `admin-<adminId>` streams and a short-lived cache of their state, so the
 * admin guard can check suspension and roles on every request without reading the stream each time.
 * A command handled in this process drops the cache at once; another process sees it within CACHE_MS.
 */
export class AdminDirectory {
  private readonly cache = new Map<string, { state: AdminState; at: number }>();

  constructor(private readonly store: EventStore) {}

  async register(input: { name: string; roles: AdminRole[]; keys: AdminKey[] }, context: CommandContext): Promise<AdminState> {
    const adminId = `${ADMIN_ID_PREFIX}${randomUUID()}`;
    return this.execute(adminId, { type: 'RegisterAdmin', adminId, ...input, now: context.now }, context);
  }

  async execute(adminId: string, command: AdminCommand, context: CommandContext): Promise<AdminState> {
    this.cache.delete(adminId);
    const result = await handleCommand<AdminState, AdminCommand, AdminEvent>({
      store: this.store,
      streamName: streamNames.admin(adminId),
      decider: adminDecider,
      command,
      context,
    });
    this.cache.delete(adminId);
    return result.state;
  }

  /** The admin's current state; `exists: false` when unknown (and for any id that is not an admin id). */
  async get(adminId: string, now = Date.now()): Promise<AdminState> {
    if (!isAdminId(adminId)) return adminDecider.initialState();
    const hit = this.cache.get(adminId);
    if (hit && now - hit.at < CACHE_MS) return hit.state;
    const { state } = await loadState<AdminState, AdminEvent>(this.store, streamNames.admin(adminId), adminDecider);
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(adminId, { state, at: now });
    return state;
  }

  /** Every registered admin, in registration order. */
  async list(): Promise<AdminState[]> {
    const ids: string[] = [];
    let after = 0;
    for (;;) {
      const batch = await this.store.readAll({ after, limit: 5000 });
      if (batch.length === 0) break;
      for (const e of batch) if (e.type === 'AdminRegistered') ids.push(String(e.data.adminId));
      after = batch.at(-1)!.position;
    }
    return Promise.all(ids.map((id) => this.get(id)));
  }
}
