import { describe, expect, it } from 'vitest';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AccessTokens } from '../../src/app/providers/access-tokens.ts';
import { LedgerKeys } from '../../src/app/ledger-keys.ts';
import { tempDir } from '../support/ledger.ts';

describe('ledger signing keys', () => {
  it('are kept in the data dir, private to the owner, and survive a reopen', async () => {
    const dir = tempDir();
    const keys = await LedgerKeys.open(dir);
    expect(statSync(join(dir, 'ledger-keys.json')).mode & 0o777).toBe(0o600);
    const again = await LedgerKeys.open(dir);
    expect(again.current.kid).toBe(keys.current.kid);
    expect(again.secrets.codeVerifierKey.equals(keys.secrets.codeVerifierKey)).toBe(true);
    expect(JSON.stringify(keys.publicJwks())).not.toContain('"d"');
  });

  it('rotate: new tokens are signed with the new key, tokens signed before still verify', async () => {
    const dir = tempDir();
    const keys = await LedgerKeys.open(dir);
    const issuer = 'https://ledger.example';
    const before = await new AccessTokens(keys, issuer, 600_000).issue('p1');
    const newKey = await keys.rotate();
    const rotated = await LedgerKeys.open(dir);
    expect(rotated.current.kid).toBe(newKey.kid);
    expect(rotated.publicJwks().keys.map((k) => k.kid)).toEqual([keys.all[0]!.kid, newKey.kid]);
    const tokens = new AccessTokens(rotated, issuer, 600_000);
    const after = await tokens.issue('p1');
    expect(JSON.parse(Buffer.from(after.token.split('.')[0]!, 'base64url').toString()).kid).toBe(newKey.kid);
    expect((await tokens.verify(before.token)).providerId).toBe('p1');
    expect((await tokens.verify(after.token)).providerId).toBe('p1');
  });

  it('a key file written before the delivery key existed derives one, the same on every open, without being rewritten', async () => {
    const dir = tempDir();
    const file = join(dir, 'ledger-keys.json');
    const keys = await LedgerKeys.open(dir);
    expect(keys.secrets.deliveryKey).toHaveLength(32);
    expect(keys.secrets.deliveryKey.equals(keys.secrets.codeVerifierKey)).toBe(false);
    const old = JSON.parse(readFileSync(file, 'utf8')) as { secrets: Record<string, string> };
    delete old.secrets.deliveryKey;
    writeFileSync(file, JSON.stringify(old), { mode: 0o600 });
    const first = await LedgerKeys.open(dir);
    const second = await LedgerKeys.open(dir);
    expect(first.secrets.deliveryKey).toHaveLength(32);
    expect(first.secrets.deliveryKey.equals(second.secrets.deliveryKey)).toBe(true);
    expect(first.secrets.deliveryKey.equals(first.secrets.codeVerifierKey)).toBe(false);
    expect(first.secrets.codeVerifierKey.equals(keys.secrets.codeVerifierKey)).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe(JSON.stringify(old));
  });
});

describe('retired signing keys', () => {
  it('stay published for receipts and exports, but no token verifies with them', async () => {
    const dir = tempDir();
    const keys = await LedgerKeys.open(dir);
    const issuer = 'https://ledger.example';
    const first = keys.current;
    const early = await new AccessTokens(keys, issuer, 600_000).issue('p1');
    for (let i = 0; i < 3; i++) await keys.rotate();
    const reopened = await LedgerKeys.open(dir);
    expect(reopened.all.map((k) => k.kid)).not.toContain(first.kid);
    expect(reopened.retired.map((k) => k.kid)).toEqual([first.kid]);
    const file = readFileSync(join(dir, 'ledger-keys.json'), 'utf8');
    // The retired key's private part is gone from the file.
    expect(file).not.toContain(String(first.privateJwk.d));
    const published = reopened.publicJwks().keys;
    expect(published.map((k) => k.kid)).toEqual([...reopened.all.map((k) => k.kid), first.kid]);
    expect(published.at(-1)).toMatchObject({ kid: first.kid, retired: true, x: first.privateJwk.x });
    expect(JSON.stringify(published)).not.toContain('"d"');
    expect(reopened.tokenJwks().keys.map((k) => k.kid)).not.toContain(first.kid);
    await expect(new AccessTokens(reopened, issuer, 600_000).verify(early.token)).rejects.toThrow();
  });
});
