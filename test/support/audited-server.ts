import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { deliveredMessageFrom, eventually, settledDelivery, type DeliveredCodeView } from './delivery.ts';
import { httpApi, providerOverHttp } from './provider-over-http.ts';
import type { RunningServer } from './server.ts';
import { eventAt } from './stored-events.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const JANA = 'test-person-jana';

export const AUDITOR_TOKEN = randomBytes(33).toString('base64url');
export const LOG_ORIGIN = 'e2e.ledger.example/act-ledger';
/** A ledger with an auditor, a checkpoint a second and one origin across restarts (the port changes). */
export const AUDITED_ENV = { LEDGER_AUDITOR_TOKEN: AUDITOR_TOKEN, LEDGER_CHECKPOINT_EVERY: 'PT1S', LEDGER_LOG_ORIGIN: LOG_ORIGIN, LEDGER_CODE_ATTEMPTS: '1' };

/** One line of the audit feed. */
export interface FeedEntry {
  position: number;
  sequence: number;
  streamName: string;
  revision: number;
  type: string;
  canonical: string;
}

/** A provider driving acts over HTTP as an e-service would: registered, authorized by SMS, failed by a wrong code. */
export async function actsOverHttp(server: RunningServer, acts: { authorized: number; failed: number; pending: number }): Promise<void> {
  const call = httpApi(server.url);
  const api = async (method: string, path: string, body: unknown, bearer: string) => (await call(method, path, body, bearer)).body;
  const { provider, token } = await providerOverHttp(server, `Audited e-service ${randomBytes(3).toString('hex')}`);
  const sepp = String((await api('GET', `/api/v1/admin/citizens/${JANA}/sepp?providerId=${provider.providerId}`, undefined, server.adminToken)).sepp);
  const register = async () =>
    String((await api('POST', '/api/v1/acts', { sepp, documentHash: createHash('sha256').update(randomBytes(64)).digest('hex'), name: 'Building permit', description: 'Parcel 1234/5' }, token)).actId);
  const issue = async (actId: string) => {
    const issued = await api('POST', `/api/v1/acts/${actId}/codes`, { channel: 'sms' }, token);
    // Waits for the delivery to be recorded, so nothing more is appended for this code later.
    await settledDelivery(async () => (await api('GET', `/api/v1/acts/${actId}`, undefined, token)) as { codes: DeliveredCodeView[] }, String(issued.codeId));
    return issued;
  };
  for (let i = 0; i < acts.authorized; i++) {
    const actId = await register();
    const issued = await issue(actId);
    const outbox = async () => (await api('GET', `/api/v1/simulator/outbox?aifo=${JANA}`, undefined, server.adminToken)).messages as Array<{ code: string }>;
    const { code } = await deliveredMessageFrom(outbox, actId, String(issued.codeSha256));
    const result = await api('POST', `/api/v1/acts/${actId}/codes/${String(issued.codeId)}/verifications`, { codeSha512: createHash('sha512').update(`${actId}:${code}`).digest('hex') }, token);
    if (result.result !== 'authorized') throw new Error(`not authorized: ${JSON.stringify(result)}`);
  }
  for (let i = 0; i < acts.failed; i++) {
    const actId = await register();
    const issued = await issue(actId);
    await api('POST', `/api/v1/acts/${actId}/codes/${String(issued.codeId)}/verifications`, { codeSha512: 'f'.repeat(128) }, token);
  }
  for (let i = 0; i < acts.pending; i++) await register();
}

/** The whole audit feed (one page is plenty here). */
export async function feed(server: Pick<RunningServer, 'url'>): Promise<FeedEntry[]> {
  const res = await fetch(`${server.url}/api/v1/audit/events?limit=10000`, { headers: { authorization: `Bearer ${AUDITOR_TOKEN}` } });
  if (!res.ok) throw new Error(`audit feed: ${res.status} ${await res.text()}`);
  return (await res.text()).split('\n').filter(Boolean).map((l) => JSON.parse(l) as FeedEntry);
}

/** Waits until the served checkpoint covers every event but the checkpoints recorded after it; answers the feed. */
export async function checkpointCoversLog(server: Pick<RunningServer, 'url'>): Promise<FeedEntry[]> {
  return eventually(
    'a checkpoint covering the log',
    async () => {
      const entries = await feed(server);
      const res = await fetch(`${server.url}/tlog/checkpoint`);
      if (!res.ok) return undefined;
      const size = Number((await res.text()).split('\n')[1]);
      const lastEntry = entries.findLast((e) => e.type !== 'LedgerCheckpointed');
      return lastEntry && size >= lastEntry.sequence ? entries : undefined;
    },
    30_000,
    200,
  );
}

/** `ledger audit <args>` as a real process, the token in its environment. */
export function ledgerAudit(args: string[], env: Record<string, string> = { LEDGER_AUDITOR_TOKEN: AUDITOR_TOKEN }): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/ledger.mjs', 'audit', ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.once('error', reject);
    child.once('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

// ---- tampering with the stopped ledger's event store (SQLite `events` table) ----------------------

function withEvents<T>(dataDir: string, change: (db: Database.Database) => T): T {
  const db = new Database(join(dataDir, 'ledger.sqlite'));
  try {
    return db.transaction(() => change(db))();
  } finally {
    db.close();
  }
}

/** Flips one character of the event's stored data, inside its documentHash: the JSON stays valid. */
export function flipByte(dataDir: string, position: number): void {
  withEvents(dataDir, (db) => {
    const { event, replace } = eventAt(db, position);
    const json = JSON.stringify(event.data);
    const at = json.indexOf('"documentHash":"') + '"documentHash":"'.length + 10;
    if (at < 20) throw new Error(`event ${position} has no documentHash`);
    const flipped = String.fromCharCode(json.charCodeAt(at) ^ 0x01);
    replace({ ...event, data: JSON.parse(json.slice(0, at) + flipped + json.slice(at + 1)) as Record<string, unknown> });
  });
}

/** Deletes the event's row. */
export function dropEvent(dataDir: string, position: number): void {
  withEvents(dataDir, (db) => db.prepare('DELETE FROM events WHERE position = ?').run(position));
}

/** Swaps two events in the log: each position takes the other's whole event. */
export function swapEvents(dataDir: string, a: number, b: number): void {
  withEvents(dataDir, (db) => {
    const [ea, eb] = [eventAt(db, a), eventAt(db, b)];
    // Out of the way first: (stream, revision) and event_id are unique.
    ea.replace({ ...ea.event, streamName: 'swap', revision: -1, metadata: { ...ea.event.metadata, eventId: 'swap' } });
    eb.replace(ea.event);
    ea.replace(eb.event);
  });
}
