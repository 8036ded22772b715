import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { formatTilePath, openCheckpoint, parseVerifierKey, TILE_WIDTH } from '../../tlog/index.ts';
import { tempDir } from '../support/ledger.ts';
import { type FeedLine, leafTiles, leavesOf, renumbered, syntheticLog } from '../support/synthetic-log.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const log = syntheticLog({ events: 300, checkpointEvery: 60 });
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** An export directory as `ledger audit export` lays it out, of these lines. */
function exportDir(lines: readonly FeedLine[], options: { tiles?: boolean } = {}): string {
  const dir = tempDir('audit-export-');
  dirs.push(dir);
  writeFileSync(join(dir, 'events.ndjson'), lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
  writeFileSync(join(dir, 'log-key.vkey'), `${log.verifierKey}\n`);
  const latest = log.checkpoints.at(-1)!;
  writeFileSync(join(dir, 'checkpoint'), latest);
  if (options.tiles !== false) {
    const size = openCheckpoint(latest, [parseVerifierKey(log.verifierKey!)]).size;
    for (const [index, bytes] of leafTiles(leavesOf(log.lines), size)) {
      const file = join(dir, formatTilePath({ level: 0, index, width: Math.min(TILE_WIDTH, size - index * TILE_WIDTH) }));
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, bytes);
    }
  }
  return dir;
}

const verify = (...args: string[]) => spawnSync(process.execPath, ['bin/ledger.mjs', 'audit', 'verify', ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, LEDGER_AUDITOR_TOKEN: '' } });

describe('`ledger audit verify --export` as a real process', () => {
  it('prints a line per check and OK for an untouched export, exit 0', () => {
    const run = verify('--export', exportDir(log.lines));
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines.map((l) => l.split(':')[0])).toEqual(['entries', 'order', 'streams', 'leaves', 'checkpoints', 'consistency', 'latest', 'OK']);
    expect(lines.at(-1)).toMatch(/^OK: 305 events, 5 checkpoints, root [A-Za-z0-9+/]{43}= at 304$/);
  });

  it('names the event a changed byte is in, exit 1', () => {
    const lines = log.lines.map((l) => {
      if (l.sequence !== 77) return l;
      const bytes = Buffer.from(l.canonical, 'base64');
      const at = bytes.indexOf('aaaa') + 2;
      bytes[at] = bytes[at]! ^ 0x03; // 'a' -> 'b': still canonical JSON
      return { ...l, canonical: bytes.toString('base64') };
    });
    const run = verify('--export', exportDir(lines));
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/^leaves: +FAILED \(leaf-mismatch\)/m);
    expect(run.stdout.trim().split('\n').at(-1)).toMatch(/^DIVERGENCE at position 539 \(sequence 77\): leaf-mismatch: /);
  });

  it('an export without tiles names the checkpoint interval instead', () => {
    const swapped = [...log.lines];
    [swapped[99], swapped[100]] = [{ ...swapped[100]!, position: swapped[99]!.position }, { ...swapped[99]!, position: swapped[100]!.position }];
    // Sequences 100 and 101 are in different streams: only the root of the checkpoint of 121 shows it.
    const run = verify('--export', exportDir(renumbered(swapped), { tiles: false }));
    expect(run.status).toBe(1);
    expect(run.stdout.trim().split('\n').at(-1)).toMatch(/^DIVERGENCE between sequence 61 and 121 \(positions 427\.\.847\): checkpoint-root-mismatch: /);
  });

  it('takes a lone .ndjson file with --log-key, and needs the key', () => {
    const dir = exportDir(log.lines);
    const alone = verify('--export', join(dir, 'events.ndjson'));
    expect(alone.status).toBe(1);
    expect(alone.stderr).toMatch(/needs --log-key/);
    const run = verify('--export', join(dir, 'events.ndjson'), '--log-key', join(dir, 'log-key.vkey'));
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^leaves: +no published leaves/m);
    expect(run.stdout).toMatch(/^latest: +no checkpoint served/m);
    expect(run.stdout).toMatch(/^OK: 305 events, 5 checkpoints, root \S+ at 304$/m);
    expect(readFileSync(join(dir, 'log-key.vkey'), 'utf8')).toContain('ledger.example/act-ledger+');
  });

  it('refuses a token on the command line and a missing source', () => {
    expect(verify('--from', 'http://127.0.0.1:1', '--token', 'secret').stderr).toMatch(/LEDGER_AUDITOR_TOKEN/);
    expect(verify().status).toBe(1);
  });
});
