import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCheckpoint, parseVerifierKey } from '../../tlog/index.ts';
import { providerKeyPair } from '../support/ledger.ts';
import { startServer, type RunningServer } from '../support/server.ts';

const AUDITOR = 'auditor-token-e2e-0123456789abcdef-0123';

/** The latest checkpoint once it reaches at least `size`, or fails after `ms`. */
async function checkpointOfAtLeast(server: RunningServer, size: number, ms = 15_000): Promise<string> {
  const until = Date.now() + ms;
  for (;;) {
    const res = await fetch(`${server.url}/tlog/checkpoint`);
    if (res.status === 200) {
      const text = await res.text();
      if (Number(text.split('\n')[1]) >= size) return text;
    }
    if (Date.now() > until) throw new Error(`no checkpoint of ${size} leaves within ${ms} ms:\n${server.logs()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function auditEvents(server: RunningServer): Promise<Array<{ type: string }>> {
  const res = await fetch(`${server.url}/api/v1/audit/events?limit=10000`, { headers: { authorization: `Bearer ${AUDITOR}` } });
  return (await res.text()).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string });
}

describe('checkpoints signed by `ledger serve` on its schedule (LEDGER_CHECKPOINT_EVERY)', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ LEDGER_AUDITOR_TOKEN: AUDITOR, LEDGER_CHECKPOINT_EVERY: 'PT1S', LEDGER_LOG_ORIGIN: 'e2e.example/act-ledger' });
  });
  afterAll(async () => {
    await server.stop();
    rmSync(server.dataDir, { recursive: true, force: true });
  });

  it('signs one when the log grows, with the published key, and none while only checkpoints are added', async () => {
    const pair = await providerKeyPair();
    const created = await fetch(`${server.url}/api/v1/admin/providers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Checkpointed e-service', jwks: { keys: [pair.publicJwk] } }),
    });
    expect(created.status, await created.text()).toBe(201);
    const before = (await auditEvents(server)).filter((e) => e.type !== 'LedgerCheckpointed').length;
    const note = await checkpointOfAtLeast(server, before);
    const key = parseVerifierKey((await (await fetch(`${server.url}/api/v1/audit/log-key`)).text()).trim());
    const checkpoint = openCheckpoint(note, [key], 'e2e.example/act-ledger');
    expect(checkpoint.size).toBeGreaterThanOrEqual(before);

    // Three more schedule ticks with nothing new: no more checkpoints than the one that covers the provider.
    await new Promise((r) => setTimeout(r, 3_500));
    const events = await auditEvents(server);
    const checkpoints = events.filter((e) => e.type === 'LedgerCheckpointed');
    expect(checkpoints.length).toBeGreaterThanOrEqual(1);
    expect(events.at(-1)!.type).toBe('LedgerCheckpointed');
    expect(events.filter((e, i) => e.type === 'LedgerCheckpointed' && events[i - 1]?.type === 'LedgerCheckpointed')).toEqual([]);
    expect(await (await fetch(`${server.url}/tlog/checkpoint`)).text()).toBe(await checkpointOfAtLeast(server, events.length - 1));
  });

  it('`ledger audit log-key` prints, from the data dir, the key the server publishes', async () => {
    const printed = execFileSync(process.execPath, ['bin/ledger.mjs', 'audit', 'log-key'], {
      env: { ...process.env, LEDGER_DATA_DIR: server.dataDir, LEDGER_LOG_ORIGIN: 'e2e.example/act-ledger' },
      encoding: 'utf8',
    });
    expect(printed).toBe(await (await fetch(`${server.url}/api/v1/audit/log-key`)).text());
    expect(printed).toMatch(/^e2e\.example\/act-ledger\+[0-9a-f]{8}\+/);
  });
});
