import { hostname } from 'node:os';
import type { Statement } from 'better-sqlite3';
import { assertLease, type LeaseGrant, type LeaseHolder, type ProjectionLease } from '../../ports/projection-lease.ts';
import type { SqliteDatabase } from './database.ts';

interface LeaseRow {
  holder: string | null;
  token: number;
  expires_at: number;
  host: string | null;
  pid: number | null;
}

interface AcquireParams {
  name: string;
  holder: string;
  now: number;
  ttl: number;
  host: string;
  pid: number;
  deadHolder: string | null;
  above: number;
}

interface RenewParams {
  name: string;
  holder: string;
  token: number;
  now: number;
  ttl: number;
}

export interface SqliteProjectionLeaseOptions {
  /** Wall time in ms; the system clock when left out. Every process on the data dir reads the same one. */
  now?: () => number;
  /** Whether a process of this machine still runs; `process.kill(pid, 0)` when left out. */
  processAlive?: (pid: number) => boolean;
}

/**
 * The lease in a table of the ledger's SQLite file, for the processes sharing one data dir on one
 * machine. Each operation is one statement that reads the clock once and compares and sets in the
 * same step, so two processes never both see the lease free. The token only grows: it stays in the
 * row when the lease is released or expires, and the next acquisition adds one.
 *
 * A holder that died on this machine is taken over at once rather than after its time runs out:
 * the row keeps the holder's host and process id, and a process that is gone holds nothing.
 */
export class SqliteProjectionLease implements ProjectionLease {
  private readonly now: () => number;
  private readonly processAlive: (pid: number) => boolean;
  private readonly host = hostname();
  private readonly stmts: {
    acquire: Statement<[AcquireParams], { token: number; expires_at: number }>;
    row: Statement<[string], LeaseRow>;
    renew: Statement<[RenewParams], { expires_at: number }>;
    release: Statement<[{ name: string; holder: string; token: number }]>;
  };

  constructor(
    private readonly db: SqliteDatabase,
    options: SqliteProjectionLeaseOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.processAlive = options.processAlive ?? isAlive;
    db.exec(`
      CREATE TABLE IF NOT EXISTS projection_leases (
        name TEXT PRIMARY KEY, holder TEXT, token INTEGER NOT NULL, expires_at INTEGER NOT NULL,
        host TEXT, pid INTEGER
      ) WITHOUT ROWID;
    `);
    this.stmts = {
      // Free, expired, or held by the holder seen dead (null: none).
      acquire: db.prepare(`
        INSERT INTO projection_leases (name, holder, token, expires_at, host, pid) VALUES (@name, @holder, @above + 1, @now + @ttl, @host, @pid)
        ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, token = MAX(token, @above) + 1, expires_at = excluded.expires_at,
          host = excluded.host, pid = excluded.pid
        WHERE holder IS NULL OR expires_at <= @now OR holder = @deadHolder
        RETURNING token, expires_at`),
      row: db.prepare('SELECT holder, token, expires_at, host, pid FROM projection_leases WHERE name = ?'),
      renew: db.prepare(`
        UPDATE projection_leases SET expires_at = @now + @ttl
        WHERE name = @name AND holder = @holder AND token = @token AND expires_at > @now
        RETURNING expires_at`),
      release: db.prepare(
        'UPDATE projection_leases SET holder = NULL, expires_at = 0, host = NULL, pid = NULL WHERE name = @name AND holder = @holder AND token = @token',
      ),
    };
  }

  async acquire(name: string, holder: string, ttlMs: number, options: { above?: number } = {}): Promise<LeaseGrant | undefined> {
    assertLease(name, ttlMs);
    const current = this.stmts.row.get(name);
    // Only a process of this machine can be seen dead; the statement takes the lease from that holder only.
    const dead = current?.holder && current.host === this.host && current.pid !== null && current.pid !== process.pid && !this.processAlive(current.pid);
    const deadHolder = dead ? current.holder : null;
    const row = this.stmts.acquire.get({ name, holder, now: this.now(), ttl: ttlMs, host: this.host, pid: process.pid, deadHolder, above: options.above ?? 0 });
    return row ? { token: row.token, expiresAt: new Date(row.expires_at) } : undefined;
  }

  async renew(name: string, holder: string, token: number, ttlMs: number): Promise<LeaseGrant | undefined> {
    assertLease(name, ttlMs);
    const row = this.stmts.renew.get({ now: this.now(), ttl: ttlMs, name, holder, token });
    return row ? { token, expiresAt: new Date(row.expires_at) } : undefined;
  }

  async release(name: string, holder: string, token: number): Promise<void> {
    assertLease(name);
    this.stmts.release.run({ name, holder, token });
  }

  async holderOf(name: string): Promise<LeaseHolder | undefined> {
    const row = this.stmts.row.get(name);
    if (!row?.holder || row.expires_at <= this.now()) return undefined;
    return { holder: row.holder, token: row.token, expiresAt: new Date(row.expires_at) };
  }

  async close(): Promise<void> {
    // The connection is the caller's.
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The leases of this file held right now by a process that may still run: unexpired, and not held
 * by a process of this machine seen dead. Empty when no ledger process runs projections on the file.
 */
export function liveLeases(db: SqliteDatabase, now = Date.now()): Array<{ name: string; holder: string; host: string | null; pid: number | null }> {
  const table = db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'projection_leases'").get();
  if (!table) return [];
  const rows = db.prepare('SELECT name, holder, host, pid FROM projection_leases WHERE holder IS NOT NULL AND expires_at > ?').all(now) as Array<{ name: string; holder: string; host: string | null; pid: number | null }>;
  return rows.filter((r) => r.host !== hostname() || r.pid === null || isAlive(r.pid));
}
