import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportJWK, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { hostname, userInfo } from 'node:os';
import { openSqlite } from '../../src/adapters/sqlite/database.ts';
import { SqliteEventStore } from '../../src/adapters/sqlite/event-store.ts';
import { streamNames } from '../../events/envelope.ts';
import { SqliteCitizenRegistry } from '../../src/adapters/sqlite/citizen-registry.ts';
import { ledgerFiles } from '../../src/composition/stores.ts';
import { tempDir } from '../support/ledger.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** `node bin/ledger.mjs citizens import <file>` on a data dir, to its exit. */
function runImport(dataDir: string, file: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/ledger.mjs', 'citizens', 'import', file], {
      cwd: ROOT,
      env: { ...process.env, LEDGER_DATA_DIR: dataDir, LEDGER_ADMIN_TOKEN: 'import-test-admin-token-0123456789', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const counts = (stdout: string) => {
  const m = /created (\d+), updated (\d+), unchanged (\d+), refused (\d+)/.exec(stdout);
  if (!m) throw new Error(`no counts in: ${stdout}`);
  return { created: Number(m[1]), updated: Number(m[2]), unchanged: Number(m[3]), refused: Number(m[4]) };
};

describe('ledger citizens import', () => {
  it('loads persons and devices, refuses bad lines by number, and a second run changes nothing', async () => {
    const dataDir = tempDir('ledger-import-');
    const { publicKey, privateKey } = await generateKeyPair('ECDH-ES+A256KW', { crv: 'P-256', extractable: true });
    const publicJwk = await exportJWK(publicKey);
    const lines = [
      { aifo: 'cz-0001', displayName: 'Eva Malá', country: 'CZ', phone: '+420777000001', phoneVerified: true, phoneAllowed: true },
      { aifo: 'cz-0002', country: 'CZ', phoneVerified: false, phoneAllowed: false, mobileKeys: [{ fcmToken: 'fcm-token-of-cz-0002-device-one', label: 'phone', publicKey: publicJwk }] },
      { aifo: 'cz-0003', country: 'cz', phoneVerified: false, phoneAllowed: false },
      'not json {',
      '',
      { aifo: 'de-0004', country: 'DE', phoneVerified: false, phoneAllowed: false, mobileKeys: [{ fcmToken: 'fcm-token-of-de-0004', label: 'phone', publicKey: await exportJWK(privateKey) }] },
      { aifo: 'cz-0005', country: 'CZ', phone: '+420777000005', phoneVerified: true, phoneAllowed: true, nickname: 'x' },
      { aifo: 'sk-0006', country: 'SK', phoneVerified: false, phoneAllowed: false },
    ];
    const file = join(dataDir, 'citizens.ndjson');
    writeFileSync(file, `${lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n')}\n`);

    const first = await runImport(dataDir, file);
    expect(first.code, first.stderr).toBe(1);
    expect(counts(first.stdout)).toEqual({ created: 3, updated: 0, unchanged: 0, refused: 4 });
    const refused = first.stderr.split('\n').filter((l) => l.startsWith('line '));
    expect(refused.map((l) => Number(/^line (\d+):/.exec(l)![1]))).toEqual([3, 4, 6, 7]);
    expect(refused[0]).toMatch(/\/country/);
    expect(refused[1]).toMatch(/not JSON/);
    expect(refused[2]).toMatch(/\/mobileKeys\/0\/publicKey\/d/);
    expect(refused[3]).toMatch(/unknown member nickname/);
    // Refusals name the member, never what the line held.
    expect(first.stderr).not.toContain('+420777000005');

    const second = await runImport(dataDir, file);
    expect(second.code).toBe(1);
    expect(counts(second.stdout), 'the second run writes nothing').toEqual({ created: 0, updated: 0, unchanged: 3, refused: 4 });

    // A corrected file: the fixed lines are created, a changed one updated, the rest unchanged.
    lines[0] = { ...(lines[0] as object), phoneAllowed: false } as (typeof lines)[number];
    lines[2] = { aifo: 'cz-0003', country: 'CZ', phoneVerified: false, phoneAllowed: false };
    writeFileSync(file, `${lines.filter((l) => typeof l !== 'string' && !('nickname' in l) && !(l as { aifo: string }).aifo.startsWith('de-')).map((l) => JSON.stringify(l)).join('\n')}\n`);
    const third = await runImport(dataDir, file);
    expect(third.code, third.stderr).toBe(0);
    expect(counts(third.stdout)).toEqual({ created: 1, updated: 1, unchanged: 2, refused: 0 });

    const db = openSqlite(ledgerFiles(dataDir).events);
    try {
      const registry = new SqliteCitizenRegistry(db);
      expect(await registry.get('cz-0001')).toMatchObject({ displayName: 'Eva Malá', phone: '+420777000001', phoneVerified: true, phoneAllowed: false });
      expect(await registry.get('cz-0002')).toMatchObject({ mobileKeys: [{ label: 'phone', fcmToken: 'fcm-token-of-cz-0002-device-one', publicKey: { kty: 'EC', crv: 'P-256', x: publicJwk.x, y: publicJwk.y } }] });
      expect(await registry.get('sk-0006')).toMatchObject({ country: 'SK' });
      expect(await registry.get('de-0004')).toBeUndefined();
      expect(await registry.get('cz-0005')).toBeUndefined();

      // Each run recorded its summary, by the operator who ran it; the lines are not in the log.
      const events = new SqliteEventStore(db);
      const imports = await events.readStream(streamNames.registryImports);
      expect(imports.map((e) => e.type)).toEqual(['CitizensImported', 'CitizensImported', 'CitizensImported']);
      expect(imports.map(({ data: { importedAt, ...counted } }) => counted)).toEqual([
        { created: 3, updated: 0, unchanged: 0, refused: 4 },
        { created: 0, updated: 0, unchanged: 3, refused: 4 },
        { created: 1, updated: 1, unchanged: 2, refused: 0 },
      ]);
      expect(imports[0]!.metadata.actor).toBe(`operator:${userInfo().username}@${hostname()}`);
      const all = await events.readAll({ limit: 10_000 });
      expect(all.filter((e) => e.streamName.startsWith('registry-')).map((e) => e.streamName)).toEqual([streamNames.registryImports, streamNames.registryImports, streamNames.registryImports]);
      expect(JSON.stringify(all)).not.toMatch(/cz-000|\+420|fcm-token/);
    } finally {
      db.close();
    }
  });

  it('says when the file cannot be read', async () => {
    const dataDir = tempDir('ledger-import-');
    const missing = await runImport(dataDir, join(dataDir, 'nothing-here.ndjson'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot read .*nothing-here\.ndjson: ENOENT/);
  });
});
