import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KeyVault } from '../../src/ports/key-vault.ts';

export interface KeyVaultUnderTest {
  vault: KeyVault;
  /** Another vault on the same storage, as a second process (or the same one after a restart) would open it. */
  another: () => Promise<KeyVault>;
  /** Closes whatever is open and removes what the adapter created. */
  cleanup: () => Promise<void>;
}

/**
 * The KeyVault contract for vaults that make each key durable before answering it (every adapter
 * but the SQLite vault that shares the events' transactions, whose own test is test/unit/key-vault.test.ts).
 * Key ids are unique per test, so the suite also runs against a shared server holding other data.
 */
export function keyVaultContract(name: string, makeVault: () => Promise<KeyVaultUnderTest>): void {
  describe(`KeyVault contract: ${name}`, () => {
    let subject: KeyVaultUnderTest;
    let vault: KeyVault;
    let n = 0;
    const keyId = () => `act-${process.pid}-${Date.now().toString(36)}-${n++}`;

    beforeEach(async () => {
      subject = await makeVault();
      vault = subject.vault;
    });
    afterEach(async () => {
      await subject.cleanup();
    });

    it('makes a 256-bit key, and the same key again for the same id', async () => {
      const id = keyId();
      const key = await vault.create(id);
      expect(key).toBeInstanceOf(Buffer);
      expect(key).toHaveLength(32);
      expect(await vault.create(id)).toEqual(key);
      expect(await vault.get(id)).toEqual(key);
      const other = await vault.create(keyId());
      expect(other.equals(key)).toBe(false);
    });

    it('has the key stored before create answers: another vault on the same storage reads it at once', async () => {
      const id = keyId();
      const key = await vault.create(id);
      const second = await subject.another();
      expect(await second.get(id)).toEqual(key);
      expect(await second.create(id), 'creating it there gives the same key, not a new one').toEqual(key);
    });

    it('answers one key to creations of the same id racing from two vaults', async () => {
      const id = keyId();
      const second = await subject.another();
      const keys = await Promise.all([vault.create(id), second.create(id), vault.create(id), second.create(id)]);
      for (const key of keys) expect(key).toEqual(keys[0]);
      expect(await vault.get(id)).toEqual(keys[0]);
    });

    it('answers undefined for a key never made', async () => {
      expect(await vault.get(keyId())).toBeUndefined();
    });

    it('destroys keys for good and counts only those that existed', async () => {
      const [a, b, never] = [keyId(), keyId(), keyId()];
      const keyA = await vault.create(a);
      await vault.create(b);
      expect(await vault.destroy([a, b, never])).toBe(2);
      expect(await vault.get(a)).toBeUndefined();
      expect(await vault.get(b)).toBeUndefined();
      expect(await (await subject.another()).get(a), 'gone for another vault too').toBeUndefined();
      expect(await vault.destroy([a, b])).toBe(0);
      expect(await vault.destroy([])).toBe(0);
      // A key destroyed stays destroyed: making one under the same id gives a new key, never the old one back.
      const again = await vault.create(a);
      expect(again.equals(keyA)).toBe(false);
    });
  });
}
