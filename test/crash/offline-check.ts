import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Model, Tally } from './model.ts';
import { activityKey } from '../../projections/admin-activity.ts';
import { checkpointKey } from '../../projections/log-tree.ts';
import { canonicalEventBytes } from '../../events/canonical.ts';
import { leafHash, nodeHash, type Hash } from '../../tlog/index.ts';
import type { RecordedEvent } from '../../events/envelope.ts';
import { storedEvents } from '../support/stored-events.ts';
import { ledgerFiles } from '../../src/composition/stores.ts';

/**
 * Checks a data dir whose server is dead (killed or stopped): the event log against what was
 * acknowledged, the log against itself (duplicates, revisions), and every read model against what
 * the log says at that read model's own checkpoint. Opens both SQLite files read-only.
 */

interface EventRow {
  position: number;
  stream: string;
  revision: number;
  eventId: string;
  type: string;
  actId: string | null;
  providerId: string | null;
  digest: string | null;
  codeId: string | null;
  attemptsLeft: number | null;
  method: string | null;
  reason: string | null;
  name: string | null;
  actor: string | null;
  data: Record<string, unknown>;
  metadata: RecordedEvent['metadata'];
}

interface ActLog {
  registrations: number;
  registeredAt?: number;
  actIdField?: string | null;
  providerId?: string | null;
  codes: Set<string>;
  attempts: number;
  minAttemptsLeft?: number;
  authorizedAt?: number;
  method?: string | null;
  failedAt?: number;
  reason?: string | null;
  terminals: number;
}

export interface OfflineFigures {
  events: number;
  head: number;
  acts: number;
  /** Lowest read-model checkpoint. */
  readModelPosition: number;
}

const JANA = 'test-person-jana';
const PROJECTIONS = ['event-sequence', 'failed-authorizations', 'pending-acts', 'retention', 'verification-index', 'cul', 'citizen-failed-attempts', 'undelivered-codes', 'admin-activity', 'admin-changes', 'provider-conformance', 'provider-applications', 'log-tree'] as const;

export function offlineCheck(dataDir: string, model: Model, tally: Tally, now = Date.now()): OfflineFigures {
  const eventFile = join(dataDir, 'ledger.sqlite');
  if (!existsSync(eventFile)) {
    tally.report('lost', 'event-file', `${eventFile} does not exist`);
    return { events: 0, head: 0, acts: 0, readModelPosition: 0 };
  }
  // Whatever the file's layout (event-file-format.ts): decoded as the ledger reads it.
  const rows: EventRow[] = storedEvents(eventFile).map((e) => {
    const field = <T>(name: string) => (e.data[name] ?? null) as T | null;
    return {
      position: e.position,
      stream: e.streamName,
      revision: e.revision,
      eventId: e.eventId,
      type: e.type,
      actId: field('actId'),
      providerId: field('providerId'),
      digest: field('requestDigest'),
      codeId: field('codeId'),
      attemptsLeft: field('attemptsLeft'),
      method: field('method'),
      reason: field('reason'),
      name: field('name'),
      actor: e.metadata.actor ?? null,
      data: e.data,
      metadata: e.metadata,
    };
  });
  const db = new Database(eventFile, { readonly: true, fileMustExist: true });
  let spent: Set<string>;
  try {
    spent = new Set((db.prepare('SELECT scope, id FROM used_once').all() as Array<{ scope: string; id: string }>).map((r) => `${r.scope}\n${r.id}`));
  } finally {
    db.close();
  }

  // The log against itself: one row per event id, revisions 0..n-1 in every stream.
  const eventIds = new Set<string>();
  const streams = new Map<string, { count: number; min: number; max: number }>();
  const acts = new Map<string, ActLog>();
  const providers = new Map<string, { registrations: number; name: string | null }>();
  const retentionPositions: number[] = [];
  const codeEvents: LogView['codeEvents'] = [];
  const adminPositions: number[] = [];
  let head = 0;
  for (const e of rows) {
    head = Math.max(head, e.position);
    if (e.actor?.startsWith('admin:')) adminPositions.push(e.position);
    if (eventIds.has(e.eventId)) tally.report('duplicate', `event-id:${e.eventId}`, `event id ${e.eventId} stored twice (${e.stream}@${e.revision})`);
    eventIds.add(e.eventId);
    const s = streams.get(e.stream) ?? { count: 0, min: Number.MAX_SAFE_INTEGER, max: -1 };
    s.count++;
    s.min = Math.min(s.min, e.revision);
    s.max = Math.max(s.max, e.revision);
    streams.set(e.stream, s);

    if (e.stream.startsWith('act-')) {
      const id = e.stream.slice('act-'.length);
      let a = acts.get(id);
      if (!a) {
        a = { registrations: 0, codes: new Set(), attempts: 0, terminals: 0 };
        acts.set(id, a);
      }
      switch (e.type) {
        case 'ActRegistered':
          a.registrations++;
          if (a.registeredAt === undefined) {
            a.registeredAt = e.position;
            a.actIdField = e.actId;
            a.providerId = e.providerId;
          }
          break;
        case 'CodeIssued':
          if (e.codeId) a.codes.add(e.codeId);
          if (e.codeId) codeEvents.push({ position: e.position, codeId: e.codeId, issued: true });
          break;
        case 'CodeDelivered':
        case 'CodeDeliveryFailed':
          if (e.codeId) codeEvents.push({ position: e.position, codeId: e.codeId, issued: false });
          break;
        case 'CodeAttempted':
          a.attempts++;
          if (typeof e.attemptsLeft === 'number') a.minAttemptsLeft = Math.min(a.minAttemptsLeft ?? Number.MAX_SAFE_INTEGER, e.attemptsLeft);
          break;
        case 'ActAuthorized':
          a.terminals++;
          a.authorizedAt ??= e.position;
          a.method ??= e.method;
          break;
        case 'ActAuthorizationFailed':
          a.terminals++;
          a.failedAt ??= e.position;
          a.reason ??= e.reason;
          break;
      }
    } else if (e.stream.startsWith('provider-') && e.type === 'ProviderRegistered') {
      const id = e.stream.slice('provider-'.length);
      const p = providers.get(id) ?? { registrations: 0, name: e.name };
      p.registrations++;
      providers.set(id, p);
    } else if (e.stream === 'retention') {
      retentionPositions.push(e.position);
    }
  }
  for (const [stream, s] of streams) {
    if (s.min !== 0 || s.max !== s.count - 1) tally.report('mismatch', `revisions:${stream}`, `stream ${stream} has revisions ${s.min}..${s.max} for ${s.count} events (not contiguous from 0)`);
  }

  // Duplicates: one registration per act stream, one act per request body, one end per act.
  const digests = new Map<string, string>();
  for (const [id, a] of acts) {
    if (a.registrations === 0) tally.report('lost', `registration:${id}`, `stream act-${id} has events but no ActRegistered`);
    if (a.registrations > 1) tally.report('duplicate', `registrations:${id}`, `act ${id} registered ${a.registrations} times`);
    if (a.terminals > 1) tally.report('duplicate', `terminals:${id}`, `act ${id} has ${a.terminals} ActAuthorized/ActAuthorizationFailed events`);
    if (a.actIdField !== undefined && a.actIdField !== id) tally.report('mismatch', `act-id-field:${id}`, `ActRegistered in act-${id} names act ${String(a.actIdField)}`);
  }
  for (const e of rows) {
    if (e.type !== 'ActRegistered' || !e.digest) continue;
    const id = e.stream.slice('act-'.length);
    const other = digests.get(e.digest);
    if (other !== undefined && other !== id) tally.report('duplicate', `digest:${e.digest}`, `one registration request made two acts: ${other} and ${id}`);
    digests.set(e.digest, id);
  }
  const providerNames = new Map<string, string>();
  for (const [id, p] of providers) {
    if (p.registrations > 1) tally.report('duplicate', `provider-registrations:${id}`, `provider ${id} registered ${p.registrations} times`);
    if (p.name !== null) {
      const other = providerNames.get(p.name);
      if (other !== undefined) tally.report('duplicate', `provider-name:${p.name}`, `provider registration "${p.name}" made two providers: ${other} and ${id}`);
      providerNames.set(p.name, id);
    }
  }

  // Every acknowledged write is in the log, at least as far as acknowledged.
  for (const rec of model.acts.values()) {
    const a = acts.get(rec.actId);
    if (!a || a.registrations === 0) {
      tally.report('lost', `act:${rec.actId}`, `act ${rec.actId} acknowledged in cycle ${rec.cycle} is not in the log`);
      continue;
    }
    if (a.providerId !== rec.providerId) tally.report('lost', `act-provider:${rec.actId}`, `act ${rec.actId} belongs to ${String(a.providerId)} in the log, acknowledged for ${rec.providerId}`);
    for (const code of rec.codes.values()) {
      if (!a.codes.has(code.codeId)) tally.report('lost', `code:${code.codeId}`, `code ${code.codeId} of act ${rec.actId} acknowledged in cycle ${code.cycle} is not in the log`);
    }
    if (a.attempts < rec.attempts) tally.report('lost', `attempts:${rec.actId}`, `act ${rec.actId}: ${rec.attempts} code attempts acknowledged, ${a.attempts} in the log`);
    if (rec.minAttemptsLeft !== undefined && (a.minAttemptsLeft === undefined || a.minAttemptsLeft > rec.minAttemptsLeft)) {
      tally.report('lost', `attempts-left:${rec.actId}`, `act ${rec.actId}: attemptsLeft ${rec.minAttemptsLeft} acknowledged, ${String(a.minAttemptsLeft)} in the log`);
    }
    if (rec.authorized && a.authorizedAt === undefined) tally.report('lost', `authorized:${rec.actId}`, `act ${rec.actId} acknowledged as authorized is not authorized in the log`);
    if (rec.authorized && a.failedAt !== undefined) tally.report('mismatch', `authorized-and-failed:${rec.actId}`, `act ${rec.actId} acknowledged as authorized has failed in the log (${String(a.reason)})`);
    if (rec.failedReason !== undefined && a.reason !== rec.failedReason) {
      tally.report('lost', `failed:${rec.actId}`, `act ${rec.actId} acknowledged as failed (${rec.failedReason}) is ${a.failedAt === undefined ? 'not failed' : `failed (${String(a.reason)})`} in the log`);
    }
  }
  for (const actId of model.lookedUpAuthorized) {
    if (acts.get(actId)?.authorizedAt === undefined) tally.report('lost', `looked-up:${actId}`, `the public lookup answered act ${actId} authorized, the log does not have it authorized`);
  }
  for (const [key, req] of model.keyed) {
    if (req.actId && !acts.has(req.actId)) tally.report('lost', `keyed:${key}`, `keyed registration ${key} acknowledged as act ${req.actId} is not in the log`);
  }
  for (const p of model.providers.values()) {
    if (!providers.has(p.identity.providerId)) tally.report('lost', `provider:${p.identity.providerId}`, `provider ${p.identity.providerId} acknowledged in cycle ${p.cycle} is not in the log`);
  }
  // Spent values the replay guard must still hold (it may forget them once expired).
  const margin = 5_000;
  for (const s of model.assertions) {
    if (s.expiresAt > now + margin && !spent.has(`assertion:${s.providerId}\n${s.jti}`)) {
      tally.report('lost', `jti:${s.jti}`, `client assertion jti ${s.jti} spent in cycle ${s.cycle} is not in used_once`);
    }
  }
  for (const c of model.captchas) {
    if (c.expiresAt > now + margin && !spent.has(`captcha\n${c.signature}`)) {
      tally.report('lost', `captcha:${c.signature}`, `captcha ${c.signature.slice(0, 16)}... spent in cycle ${c.cycle} is not in used_once`);
    }
  }

  const positions = rows.map((e) => e.position).sort((a, b) => a - b);
  // The log tree's leaves, recomputed from the stored bytes (rows are in position order).
  const leaves = rows.map((e) => leafHash(canonicalEventBytes({ streamName: e.stream, type: e.type, data: e.data, metadata: e.metadata })));
  const checkpoints = rows.filter((e) => e.stream === 'ledger-checkpoints').map((e) => ({ position: e.position, treeSize: (e.data as { treeSize: number }).treeSize }));
  const readModelPosition = checkReadModels(dataDir, { acts, head, retentionPositions, positions, codeEvents, adminPositions, leaves, checkpoints }, model, tally);
  return { events: rows.length, head, acts: acts.size, readModelPosition };
}

interface LogView {
  acts: Map<string, ActLog>;
  head: number;
  retentionPositions: number[];
  /** Every event's position, ascending: the n-th is the event of sequence n. */
  positions: number[];
  /** CodeIssued (issued) and CodeDelivered / CodeDeliveryFailed (not), in log order. */
  codeEvents: Array<{ position: number; codeId: string; issued: boolean }>;
  /** The positions of the events an admin caused (actor `admin:...`), in log order. */
  adminPositions: number[];
  /** RFC 6962 leaf hash of each event's canonical bytes, in log order. */
  leaves: Hash[];
  /** The LedgerCheckpointed events: where each is, and the tree size it signed. */
  checkpoints: Array<{ position: number; treeSize: number }>;
}

interface Doc {
  [field: string]: unknown;
}

/**
 * Each read model equals what the log says at its checkpoint (and no checkpoint is past the log's
 * head), in whichever of the read models' files it lives: the shared one or one of its own.
 */
function checkReadModels(dataDir: string, log: LogView, model: Model, tally: Tally): number {
  const files = ledgerFiles(dataDir).readModels;
  if (!existsSync(files.shared)) {
    tally.report('mismatch', 'read-model-file', `${files.shared} does not exist`);
    return 0;
  }
  const opened = [files.shared, ...Object.values(files.own)].filter((f) => existsSync(f)).map((f) => ({ file: f, db: new Database(f, { readonly: true, fileMustExist: true }) }));
  let lowest = Number.MAX_SAFE_INTEGER;
  try {
    const byName = new Map<string, { file: string; db: Database.Database; generation: number; position: number }>();
    for (const { file, db } of opened) {
      const live = db.prepare('SELECT projection, generation, position FROM read_model_generations WHERE live = 1').all() as Array<{ projection: string; generation: number; position: number }>;
      for (const g of live) {
        if (byName.has(g.projection)) tally.report('mismatch', `projection-twice:${g.projection}`, `projection ${g.projection} is live in ${byName.get(g.projection)!.file} and in ${file}`);
        byName.set(g.projection, { file, db, ...g });
      }
    }
    for (const name of PROJECTIONS) {
      if (!byName.has(name)) tally.report('mismatch', `projection-missing:${name}`, `projection ${name} has no live generation in any read-model file`);
    }
    for (const [projection, g] of byName) {
      lowest = Math.min(lowest, g.position);
      if (g.position > log.head) {
        tally.report('mismatch', `ahead:${projection}:${g.position}`, `read model ${projection} is at position ${g.position}, past the log's head ${log.head}: it saw events the log lost`);
      }
      const tables = new Map<string, Map<string, Doc>>();
      const collections = g.db.prepare('SELECT collection FROM read_model_collections WHERE projection = ? AND generation = ?').all(projection, g.generation) as Array<{ collection: string }>;
      for (const { collection } of collections) {
        const rows = g.db.prepare(`SELECT id, doc FROM "rm:${collection.replaceAll('"', '""')}:g${g.generation}"`).all() as Array<{ id: string; doc: string }>;
        tables.set(collection, new Map(rows.map((r) => [r.id, JSON.parse(r.doc) as Doc])));
      }
      compareProjection(projection, g.position, tables, log, model, tally);
    }
  } finally {
    for (const { db } of opened) db.close();
  }
  return lowest === Number.MAX_SAFE_INTEGER ? 0 : lowest;
}

function compareProjection(projection: string, position: number, tables: Map<string, Map<string, Doc>>, log: LogView, model: Model, tally: Tally): void {
  const at = (p: number | undefined) => p !== undefined && p <= position;
  const authorized = new Map<string, ActLog>();
  const failed = new Map<string, ActLog>();
  const pending = new Set<string>();
  for (const [id, a] of log.acts) {
    if (!at(a.registeredAt)) continue;
    if (at(a.authorizedAt)) authorized.set(id, a);
    else if (at(a.failedAt)) failed.set(id, a);
    else pending.add(id);
  }
  const where = `${projection}@${position}`;
  const table = (collection: string): Map<string, Doc> => {
    const t = tables.get(collection);
    if (!t) {
      tally.report('mismatch', `collection-missing:${projection}:${collection}`, `read model ${projection} has no collection ${collection}`);
      return new Map();
    }
    return t;
  };
  const sameIds = (collection: string, expected: Iterable<string>, rows: Map<string, Doc>) => {
    const want = new Set(expected);
    for (const id of want) {
      if (!rows.has(id)) tally.report('mismatch', `rm-missing:${collection}:${id}`, `${collection} (${where}) lacks ${id}, which the log has there`);
    }
    for (const id of rows.keys()) {
      if (!want.has(id)) tally.report('mismatch', `rm-extra:${collection}:${id}`, `${collection} (${where}) has ${id}, which the log does not have there`);
    }
  };
  const field = (collection: string, id: string, name: string, actual: unknown, expected: unknown) => {
    if (actual !== expected) tally.report('mismatch', `rm-field:${collection}:${id}:${name}`, `${collection} (${where}) ${id}.${name} = ${String(actual)}, the log says ${String(expected)}`);
  };

  switch (projection) {
    case 'failed-authorizations': {
      const rows = table('failed_authorizations');
      sameIds('failed_authorizations', failed.keys(), rows);
      for (const [id, a] of failed) {
        const doc = rows.get(id);
        if (!doc) continue;
        field('failed_authorizations', id, 'reason', doc.reason, a.reason);
        field('failed_authorizations', id, 'logPosition', doc.logPosition, a.failedAt);
        field('failed_authorizations', id, 'providerId', doc.providerId, a.providerId);
      }
      sameIds('failed_authorizations_staging', pending, table('failed_authorizations_staging'));
      return;
    }
    case 'pending-acts':
      sameIds('pending_acts', pending, table('pending_acts'));
      return;
    case 'verification-index': {
      const rows = table('verification_acts');
      sameIds('verification_acts', authorized.keys(), rows);
      for (const [id, a] of authorized) {
        const doc = rows.get(id);
        if (!doc) continue;
        field('verification_acts', id, 'method', doc.method, a.method);
        field('verification_acts', id, 'actId', doc.actId, id);
        const known = model.acts.get(id);
        if (known) field('verification_acts', id, 'documentHash', doc.documentHash, known.body.documentHash);
        else if (typeof doc.documentHash !== 'string' || !model.sentDocuments.has(doc.documentHash)) {
          tally.report('mismatch', `rm-field:verification_acts:${id}:documentHash`, `verification_acts (${where}) ${id} has a document hash no registration sent`);
        }
      }
      sameIds('verification_pending', pending, table('verification_pending'));
      return;
    }
    case 'cul': {
      const rows = table('cul_entries');
      sameIds('cul_entries', authorized.keys(), rows);
      for (const [id, a] of authorized) {
        const doc = rows.get(id);
        if (!doc) continue;
        field('cul_entries', id, 'aifo', doc.aifo, JANA);
        field('cul_entries', id, 'method', doc.method, a.method);
      }
      sameIds('cul_pending', pending, table('cul_pending'));
      return;
    }
    case 'citizen-failed-attempts': {
      const rows = table('citizen_failed_attempts');
      sameIds('citizen_failed_attempts', failed.keys(), rows);
      for (const [id, a] of failed) {
        const doc = rows.get(id);
        if (!doc) continue;
        field('citizen_failed_attempts', id, 'aifo', doc.aifo, JANA);
        field('citizen_failed_attempts', id, 'reason', doc.reason, a.reason);
      }
      sameIds('citizen_failed_attempts_staging', pending, table('citizen_failed_attempts_staging'));
      return;
    }
    case 'event-sequence': {
      // Every event up to the checkpoint numbered 1..N in log order, and nothing past it.
      const rows = table('event_sequence');
      const upTo = log.positions.filter((p) => p <= position);
      sameIds('event_sequence', upTo.map(String), rows);
      upTo.forEach((p, i) => {
        const doc = rows.get(String(p));
        if (doc) field('event_sequence', String(p), 'sequence', doc.sequence, i + 1);
      });
      const head = table('event_sequence_head').get('head');
      if (upTo.length > 0) field('event_sequence_head', 'head', 'sequence', head?.sequence, upTo.length);
      return;
    }
    case 'undelivered-codes': {
      // Codes issued up to the checkpoint whose delivery was not recorded final by then.
      const undelivered = new Set<string>();
      for (const c of log.codeEvents) {
        if (c.position > position) break;
        if (c.issued) undelivered.add(c.codeId);
        else undelivered.delete(c.codeId);
      }
      sameIds('undelivered_codes', undelivered, table('undelivered_codes'));
      return;
    }
    case 'admin-activity': {
      // One entry per event an admin caused, numbered in log order (the workload's admin is the bootstrap token).
      const upTo = log.adminPositions.filter((p) => p <= position);
      sameIds('admin_activity', upTo.map((_, i) => activityKey(i + 1)), table('admin_activity'));
      return;
    }
    case 'admin-changes':
      // The workload proposes no four-eyes change.
      sameIds('admin_changes', [], table('admin_changes'));
      return;
    case 'provider-conformance': {
      // One checklist per provider with an act registered by then; every pending act kept (authorized ones never).
      const providers = new Set([...authorized.values(), ...failed.values()].map((a) => String(a.providerId)));
      for (const id of pending) providers.add(String(log.acts.get(id)!.providerId));
      sameIds('provider_conformance', providers, table('provider_conformance'));
      const acts = table('provider_conformance_acts');
      for (const id of pending) if (!acts.has(id)) tally.report('mismatch', `rm-missing:provider_conformance_acts:${id}`, `provider_conformance_acts (${where}) lacks pending act ${id}`);
      for (const id of authorized.keys()) if (acts.has(id)) tally.report('mismatch', `rm-extra:provider_conformance_acts:${id}`, `provider_conformance_acts (${where}) still has authorized act ${id}`);
      return;
    }
    case 'provider-applications':
      // The workload files no onboarding application.
      sameIds('provider_applications', [], table('provider_applications'));
      return;
    case 'retention':
      sameIds('retention_state', log.retentionPositions.some((p) => p <= position) ? ['retention'] : [], table('retention_state'));
      return;
    case 'log-tree': {
      // Every leaf up to the checkpoint is its event's recomputed hash, every stored parent the hash
      // of its stored children, and the checkpoints recorded are the log's.
      const size = log.positions.filter((p) => p <= position).length;
      field('log_tree_head', 'head', 'size', table('log_tree_head').get('head')?.size, size);
      const hashes = table('log_tree_hashes');
      const stored = (level: number, index: number) => hashes.get(`${level}-${index}`)?.hash as string | undefined;
      for (let i = 0; i < size; i++) field('log_tree_hashes', `0-${i}`, 'hash', stored(0, i), Buffer.from(log.leaves[i]!).toString('base64'));
      for (const doc of hashes.values()) {
        const { level, index, hash } = doc as { level: number; index: number; hash: string };
        if (level === 0) {
          if (index >= size) tally.report('mismatch', `rm-extra:log_tree_hashes:0-${index}`, `log_tree_hashes (${where}) has leaf ${index}, past the ${size} events`);
          continue;
        }
        const [left, right] = [stored(level - 1, 2 * index), stored(level - 1, 2 * index + 1)];
        const expected = left && right ? Buffer.from(nodeHash(Buffer.from(left, 'base64'), Buffer.from(right, 'base64'))).toString('base64') : 'its two children';
        field('log_tree_hashes', `${level}-${index}`, 'hash', hash, expected);
      }
      sameIds('log_checkpoints', log.checkpoints.filter((c) => c.position <= position).map((c) => checkpointKey(c.treeSize)), table('log_checkpoints'));
      return;
    }
    default:
      tally.report('mismatch', `projection-unknown:${projection}`, `a read-model file has a projection the suite does not know: ${projection}`);
  }
}
