import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CitizenFields, CitizenRegistry, DevicePublicKey } from '../../src/ports/citizen-registry.ts';

export interface CitizenRegistryUnderTest {
  registry: CitizenRegistry;
  /** Another registry on the same storage, as a second process would open it. */
  another: () => Promise<CitizenRegistry>;
  /** Closes whatever is open and removes what the adapter created. */
  cleanup: () => Promise<void>;
}

const T0 = '2025-05-01T10:00:00.000Z';
const T1 = '2025-05-01T11:00:00.000Z';
const T2 = '2025-05-01T12:00:00.000Z';
const fields = (over: Partial<CitizenFields> = {}): CitizenFields => ({ country: 'CZ', phone: '+420600000001', phoneVerified: true, phoneAllowed: true, ...over });
const publicKey = (x: string): DevicePublicKey => ({ kty: 'EC', crv: 'P-256', x, y: `${x}-y` });

/**
 * The CitizenRegistry contract: the operator's upsert, devices added by FCM token and removed with
 * a reason kept on the person, changes to one person from two processes both kept, and the
 * pseudonym pairs. AIFOs and sectors are unique per test, so a shared server may hold other data.
 */
export function citizenRegistryContract(name: string, makeRegistry: () => Promise<CitizenRegistryUnderTest>): void {
  describe(`CitizenRegistry contract: ${name}`, () => {
    let subject: CitizenRegistryUnderTest;
    let registry: CitizenRegistry;
    let ns: string;
    const aifo = (n: number) => `${ns}-aifo-${n}`;

    beforeEach(async () => {
      subject = await makeRegistry();
      registry = subject.registry;
      ns = randomBytes(5).toString('hex');
    });
    afterEach(async () => {
      await subject.cleanup();
    });

    describe('persons', () => {
      it('adds a person, reads them back, and lists persons in the order they came', async () => {
        const added = await registry.add({ aifo: aifo(1), displayName: 'Jana', country: 'CZ', phoneVerified: false, phoneAllowed: false, mobileKeys: [] }, T0);
        expect(added).toMatchObject({ aifo: aifo(1), createdAt: T0 });
        await registry.add({ aifo: aifo(2), displayName: 'Petr', country: 'SK', phone: '+421900000000', phoneVerified: true, phoneAllowed: true, mobileKeys: [] }, T1);
        expect(await registry.get(aifo(2))).toEqual({
          aifo: aifo(2),
          displayName: 'Petr',
          country: 'SK',
          phone: '+421900000000',
          phoneVerified: true,
          phoneAllowed: true,
          mobileKeys: [],
          createdAt: T1,
        });
        const mine = (await registry.list()).filter((c) => c.aifo.startsWith(ns)).map((c) => c.aifo);
        expect(mine).toEqual([aifo(1), aifo(2)]);
        expect(await registry.get(aifo(3))).toBeUndefined();
      });

      it('refuses to add a person twice', async () => {
        const person = { aifo: aifo(1), displayName: 'Jana', country: 'CZ', phoneVerified: false, phoneAllowed: false, mobileKeys: [] };
        await registry.add(person, T0);
        await expect(registry.add(person, T1)).rejects.toThrow();
        expect((await registry.get(aifo(1)))?.createdAt).toBe(T0);
      });

      it('upsert creates a person, then replaces their fields and says which it did', async () => {
        const first = await registry.upsert(aifo(1), fields(), T0);
        expect(first.created).toBe(true);
        expect(first.citizen).toMatchObject({ aifo: aifo(1), displayName: aifo(1), country: 'CZ', phone: '+420600000001', phoneVerified: true, mobileKeys: [], createdAt: T0 });
        expect(await registry.get(aifo(1))).toEqual(first.citizen);

        const second = await registry.upsert(aifo(1), fields({ displayName: 'Jana', country: 'AT', phone: null, phoneVerified: false, phoneAllowed: false }), T1);
        expect(second.created).toBe(false);
        const stored = await registry.get(aifo(1));
        expect(stored).toEqual(second.citizen);
        expect(stored).toMatchObject({ displayName: 'Jana', country: 'AT', phoneVerified: false, phoneAllowed: false, createdAt: T0, updatedAt: T1 });
        expect(stored).not.toHaveProperty('phone');
      });

      it('upsert is idempotent and leaves the person\'s devices as they are', async () => {
        await registry.upsert(aifo(1), fields(), T0);
        const device = await registry.addMobileKey(aifo(1), { fcmToken: `${ns}-token`, label: 'phone' }, T0);
        const again = await registry.upsert(aifo(1), fields(), T1);
        const twice = await registry.upsert(aifo(1), fields(), T1);
        expect(again.created || twice.created).toBe(false);
        expect(twice.citizen).toEqual(again.citizen);
        expect((await registry.get(aifo(1)))?.mobileKeys).toEqual([device]);
        expect((await registry.list()).filter((c) => c.aifo === aifo(1))).toHaveLength(1);
      });
    });

    describe('Mobile Key devices', () => {
      beforeEach(async () => {
        await registry.upsert(aifo(1), fields(), T0);
      });

      it('adds a device to a person and nothing to a person who is not there', async () => {
        const device = await registry.addMobileKey(aifo(1), { fcmToken: `${ns}-token-a`, label: 'Pixel', publicKey: publicKey('xa') }, T1);
        expect(device).toEqual({ deviceId: expect.any(String), label: 'Pixel', fcmToken: `${ns}-token-a`, publicKey: publicKey('xa'), registeredAt: T1 });
        expect((await registry.get(aifo(1)))?.mobileKeys).toEqual([device]);
        expect(await registry.addMobileKey(aifo(9), { fcmToken: `${ns}-token-z`, label: 'x' }, T1)).toBeUndefined();
        expect(await registry.get(aifo(9))).toBeUndefined();
      });

      it('takes the same FCM token again as the same device: label and public key updated, nothing added twice', async () => {
        const first = await registry.addMobileKey(aifo(1), { fcmToken: `${ns}-token-a`, label: 'Pixel', publicKey: publicKey('old') }, T1);
        const again = await registry.addMobileKey(aifo(1), { fcmToken: `${ns}-token-a`, label: 'Pixel 8', publicKey: publicKey('new') }, T2);
        expect(again).toMatchObject({ deviceId: first!.deviceId, label: 'Pixel 8', publicKey: publicKey('new'), registeredAt: T1 });
        const withoutKey = await registry.addMobileKey(aifo(1), { fcmToken: `${ns}-token-a`, label: 'Pixel 8' }, T2);
        expect(withoutKey).not.toHaveProperty('publicKey');
        const stored = await registry.get(aifo(1));
        expect(stored?.mobileKeys).toEqual([withoutKey]);
        const other = await registry.addMobileKey(aifo(1), { fcmToken: `${ns}-token-b`, label: 'Tablet' }, T2);
        expect(other!.deviceId).not.toBe(first!.deviceId);
        expect((await registry.get(aifo(1)))?.mobileKeys.map((d) => d.label)).toEqual(['Pixel 8', 'Tablet']);
      });

      it('removes a device, recording why and when on the person', async () => {
        const kept = await registry.addMobileKey(aifo(1), { fcmToken: `${ns}-token-a`, label: 'Pixel' }, T1);
        const gone = await registry.addMobileKey(aifo(1), { fcmToken: `${ns}-token-b`, label: 'Old phone' }, T1);
        expect(await registry.removeMobileKey(aifo(1), gone!.deviceId, 'unregistered', T2)).toBe(true);
        const stored = await registry.get(aifo(1));
        expect(stored?.mobileKeys).toEqual([kept]);
        expect(stored?.removedMobileKeys).toEqual([{ deviceId: gone!.deviceId, label: 'Old phone', reason: 'unregistered', removedAt: T2 }]);
        expect(await registry.removeMobileKey(aifo(1), kept!.deviceId, 'admin', T2)).toBe(true);
        expect((await registry.get(aifo(1)))?.removedMobileKeys?.map((r) => r.reason)).toEqual(['unregistered', 'admin']);
      });

      it('answers false, changing nothing, for a device or a person that is not there', async () => {
        const device = await registry.addMobileKey(aifo(1), { fcmToken: `${ns}-token-a`, label: 'Pixel' }, T1);
        const before = await registry.get(aifo(1));
        expect(await registry.removeMobileKey(aifo(1), 'mk-nothing', 'admin', T2)).toBe(false);
        expect(await registry.removeMobileKey(aifo(9), device!.deviceId, 'admin', T2)).toBe(false);
        expect(await registry.get(aifo(1))).toEqual(before);
        expect(await registry.get(aifo(9))).toBeUndefined();
      });

      it('keeps every change to one person made at once from two processes', async () => {
        const second = await subject.another();
        const tokens = Array.from({ length: 8 }, (_, i) => `${ns}-token-${i}`);
        await Promise.all([
          ...tokens.map((fcmToken, i) => (i % 2 === 0 ? registry : second).addMobileKey(aifo(1), { fcmToken, label: `device ${i}` }, T1)),
          second.upsert(aifo(1), fields({ displayName: 'Jana', country: 'SK' }), T1),
        ]);
        const stored = await registry.get(aifo(1));
        expect(stored?.mobileKeys.map((d) => d.fcmToken).sort()).toEqual([...tokens].sort());
        expect(stored).toMatchObject({ displayName: 'Jana', country: 'SK' });

        const removals = await Promise.all(stored!.mobileKeys.slice(0, 4).map((d, i) => (i % 2 === 0 ? registry : second).removeMobileKey(aifo(1), d.deviceId, 'admin', T2)));
        expect(removals).toEqual([true, true, true, true]);
        const after = await second.get(aifo(1));
        expect(after?.mobileKeys).toHaveLength(4);
        expect(after?.removedMobileKeys).toHaveLength(4);
      });

      it('creates a person once when two processes upsert them at once', async () => {
        const second = await subject.another();
        const outcomes = await Promise.all([registry.upsert(aifo(2), fields(), T1), second.upsert(aifo(2), fields(), T1)]);
        expect(outcomes.filter((o) => o.created)).toHaveLength(1);
        expect((await registry.list()).filter((c) => c.aifo === aifo(2))).toHaveLength(1);
      });
    });

    describe('pseudonyms', () => {
      it('resolves a remembered pair, per sector, and nothing else', async () => {
        await registry.remember(`${ns}-sector-a`, 'bsi-1', aifo(1));
        await registry.remember(`${ns}-sector-b`, 'bsi-1', aifo(2));
        expect(await registry.resolve(`${ns}-sector-a`, 'bsi-1')).toBe(aifo(1));
        expect(await registry.resolve(`${ns}-sector-b`, 'bsi-1')).toBe(aifo(2));
        expect(await registry.resolve(`${ns}-sector-a`, 'bsi-2')).toBeUndefined();
        expect(await registry.resolve(`${ns}-sector-c`, 'bsi-1')).toBeUndefined();
        expect(await (await subject.another()).resolve(`${ns}-sector-a`, 'bsi-1'), 'seen from another process').toBe(aifo(1));
      });

      it('remembers a pair idempotently, and never points it at another person', async () => {
        const second = await subject.another();
        await Promise.all([registry.remember(`${ns}-s`, 'bsi', aifo(1)), second.remember(`${ns}-s`, 'bsi', aifo(1)), registry.remember(`${ns}-s`, 'bsi', aifo(1))]);
        expect(await registry.resolve(`${ns}-s`, 'bsi')).toBe(aifo(1));
        await registry.remember(`${ns}-s`, 'bsi', aifo(2));
        expect(await registry.resolve(`${ns}-s`, 'bsi')).toBe(aifo(1));
      });
    });
  });
}
