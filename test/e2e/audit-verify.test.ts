import { cpSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caughtUp, ledgerWithClock, purgeRecords } from '../support/retention-ledger.ts';
import { tempDir } from '../support/ledger.ts';
import { startServer, type RunningServer } from '../support/server.ts';
import { actsOverHttp, AUDITED_ENV, checkpointCoversLog, dropEvent, type FeedEntry, feed, flipByte, ledgerAudit, swapEvents } from '../support/audited-server.ts';

/**
 * `ledger audit verify --from` as a real process against the real server, on a store that is then
 * tampered with directly in its SQLite file (the server stopped), as someone with disk access would:
 * one byte flipped, one event deleted, two events swapped. Each copy of the data dir is restarted
 * and verified; the verifier must name the place.
 */
describe('ledger audit verify against the real server', () => {
  let pristine: string;
  let entries: FeedEntry[];
  const dirs: string[] = [];
  const servers: RunningServer[] = [];

  beforeAll(async () => {
    const server = await startServer(AUDITED_ENV);
    servers.push(server);
    await actsOverHttp(server, { authorized: 2, failed: 1, pending: 3 });
    entries = await checkpointCoversLog(server);
    await server.stop();
    pristine = server.dataDir;
    dirs.push(pristine);
  }, 120_000);
  afterAll(async () => {
    for (const s of servers) await s.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  /** A copy of the data dir as the acts left it, changed by `tamper`, served again. */
  async function served(tamper: (dataDir: string) => void = () => {}): Promise<RunningServer> {
    const dataDir = tempDir('audit-verify-');
    dirs.push(dataDir);
    cpSync(pristine, dataDir, { recursive: true });
    tamper(dataDir);
    const server = await startServer(AUDITED_ENV, { dataDir });
    servers.push(server);
    return server;
  }

  const verdict = (stdout: string) => stdout.trim().split('\n').at(-1)!;
  // An event in the middle of what the checkpoint covers, never a checkpoint itself.
  const middle = (type: string, nth = 0) => entries.filter((e) => e.type === type)[nth]!;

  it('an untouched store verifies: every check passes, exit 0', async () => {
    const server = await served();
    const run = await ledgerAudit(['verify', '--from', server.url]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const checkpoints = entries.filter((e) => e.type === 'LedgerCheckpointed').length;
    expect(checkpoints).toBeGreaterThanOrEqual(1);
    expect(run.stdout).toMatch(/^leaves: +\d+ leaves equal the published level-0 tiles$/m);
    expect(verdict(run.stdout)).toMatch(new RegExp(`^OK: ${entries.length} events, ${checkpoints} checkpoints, root [A-Za-z0-9+/]{43}= at \\d+$`));
    await server.stop();
  });

  it('names the event one flipped byte changed, by position and sequence', async () => {
    const target = middle('ActRegistered', 1);
    const server = await served((dir) => flipByte(dir, target.position));
    const run = await ledgerAudit(['verify', '--from', server.url]);
    expect(run.status, run.stdout + run.stderr).toBe(1);
    expect(verdict(run.stdout)).toMatch(new RegExp(`^DIVERGENCE at position ${target.position} \\(sequence ${target.sequence}\\): leaf-mismatch: `));
    await server.stop();
  });

  it('names the place of a deleted event: the event now at its sequence', async () => {
    const target = middle('ActRegistered', 2);
    const next = entries[entries.indexOf(target) + 1]!;
    const server = await served((dir) => dropEvent(dir, target.position));
    const run = await ledgerAudit(['verify', '--from', server.url]);
    expect(run.status, run.stdout + run.stderr).toBe(1);
    expect(verdict(run.stdout)).toMatch(new RegExp(`^DIVERGENCE at position ${next.position} \\(sequence ${target.sequence}\\): leaf-mismatch: `));
    await server.stop();
  });

  it('names the first of two swapped events', async () => {
    const a = middle('ActRegistered', 1);
    const b = middle('ActRegistered', 3);
    const server = await served((dir) => swapEvents(dir, a.position, b.position));
    const run = await ledgerAudit(['verify', '--from', server.url]);
    expect(run.status, run.stdout + run.stderr).toBe(1);
    expect(verdict(run.stdout)).toMatch(new RegExp(`^DIVERGENCE at position ${a.position} \\(sequence ${a.sequence}\\): leaf-mismatch: `));
    await server.stop();
  });

  it('an untouched store still verifies after a retention purge, and so does its export', async () => {
    const dataDir = tempDir('audit-purge-');
    dirs.push(dataDir);
    cpSync(pristine, dataDir, { recursive: true });
    // The purge as the scheduled job runs it, a day later on the ledger's clock: it destroys the
    // failed act's key and appends its record, never touching an event's bytes.
    const later = new Date(Date.now() + 25 * 3_600_000);
    const ledger = await ledgerWithClock({ ...AUDITED_ENV, LEDGER_DATA_DIR: dataDir }, () => later);
    await caughtUp(ledger);
    // Its scheduled run may come first, at start: between the two, the failed act is erased once.
    await ledger.services.retentionPurge.run('audit-verify-e2e');
    expect((await purgeRecords(ledger)).flatMap((r) => r.purgedActIds)).toHaveLength(1);
    await ledger.close();

    const server = await startServer(AUDITED_ENV, { dataDir });
    servers.push(server);
    const after = await checkpointCoversLog(server);
    expect(after.some((e) => e.type === 'RetentionPurgeExecuted')).toBe(true);
    const run = await ledgerAudit(['verify', '--from', server.url]);
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(verdict(run.stdout)).toMatch(new RegExp(`^OK: ${after.length} events, `));

    const exported = tempDir('audit-export-');
    dirs.push(exported);
    const exporting = await ledgerAudit(['export', exported, '--from', server.url]);
    expect(exporting.status, exporting.stderr).toBe(0);
    expect(exporting.stdout).toMatch(new RegExp(`^exported ${after.length} events, the latest checkpoint and 1 level-0 tiles`));
    await server.stop();
    // Offline now: the ledger is down.
    const offline = await ledgerAudit(['verify', '--export', exported], {});
    expect(offline.status, offline.stdout + offline.stderr).toBe(0);
    expect(verdict(offline.stdout)).toBe(verdict(run.stdout));
  });

  it('refuses to run --from without the auditor token, and a wrong one fails loudly', async () => {
    const server = await served();
    const missing = await ledgerAudit(['verify', '--from', server.url], { LEDGER_AUDITOR_TOKEN: '' });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/set LEDGER_AUDITOR_TOKEN/);
    const wrong = await ledgerAudit(['verify', '--from', server.url], { LEDGER_AUDITOR_TOKEN: 'x'.repeat(40) });
    expect(wrong.status).toBe(1);
    expect(verdict(wrong.stdout)).toMatch(/^UNVERIFIED: source-failed: GET \/api\/v1\/audit\/events\?after=0&limit=10000: HTTP 40[13] \(is LEDGER_AUDITOR_TOKEN/);
    await server.stop();
    expect(await feed(server).catch(() => 'down')).toBe('down');
  });
});
