import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { FencedOffError, type ProjectionLease } from '../../src/ports/projection-lease.ts';
import type { ReadModelStore } from '../../src/ports/read-model-store.ts';

export interface LeaseFixture {
  /** Two handles on the same lease backend, as two processes would have (separate connections). */
  first: ProjectionLease;
  second: ProjectionLease;
  /** A read-model store on the backend the projector writes to, for the fence. */
  readModels: ReadModelStore;
  cleanup(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Short enough to wait out in a test; waits below are 3x past it, so a loaded machine still sees it expired. */
const SHORT_TTL = 150;
const EXPIRED = SHORT_TTL * 3;
const LONG_TTL = 60_000;

/** The ProjectionLease contract: every adapter's test file calls this with its own fixture. */
export function projectionLeaseContract(adapter: string, makeFixture: () => Promise<LeaseFixture>): void {
  describe(`ProjectionLease contract: ${adapter}`, () => {
    let fixture: LeaseFixture | undefined;
    const open = async () => (fixture = await makeFixture());
    afterEach(async () => {
      await fixture?.cleanup();
      fixture = undefined;
    });
    // Each test its own lease name, so a shared backend (REDIS_URL) keeps nothing between tests.
    const leaseName = () => `test-${randomUUID().slice(0, 8)}`;

    it('grants the lease to one holder at a time; the other is refused while it is held', async () => {
      const { first, second } = await open();
      const name = leaseName();
      const grant = await first.acquire(name, 'holder-a', LONG_TTL);
      expect(grant?.token).toBeGreaterThanOrEqual(1);
      expect(await second.acquire(name, 'holder-b', LONG_TTL)).toBeUndefined();
      expect(await first.acquire(name, 'holder-c', LONG_TTL)).toBeUndefined();
      expect(await second.holderOf(name)).toMatchObject({ holder: 'holder-a', token: grant!.token });
    });

    it('gives exactly one of many simultaneous acquisitions the lease', async () => {
      const { first, second } = await open();
      const name = leaseName();
      const tries = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? first : second).acquire(name, `holder-${i}`, LONG_TTL)));
      expect(tries.filter((g) => g !== undefined)).toHaveLength(1);
    });

    it('renews for its holder under its token only', async () => {
      const { first, second } = await open();
      const name = leaseName();
      const grant = (await first.acquire(name, 'holder-a', LONG_TTL))!;
      const renewed = await second.renew(name, 'holder-a', grant.token, LONG_TTL);
      expect(renewed?.token).toBe(grant.token);
      expect(await second.renew(name, 'holder-b', grant.token, LONG_TTL)).toBeUndefined();
      expect(await second.renew(name, 'holder-a', grant.token + 1, LONG_TTL)).toBeUndefined();
    });

    it('refuses the renewal of a holder whose time ran out, even before anyone took the lease', async () => {
      const { first } = await open();
      const name = leaseName();
      const grant = (await first.acquire(name, 'holder-a', SHORT_TTL))!;
      await sleep(EXPIRED);
      expect(await first.renew(name, 'holder-a', grant.token, LONG_TTL)).toBeUndefined();
      expect(await first.holderOf(name)).toBeUndefined();
    });

    it('takes an expired lease over under a higher token, and the old holder cannot renew or release it', async () => {
      const { first, second } = await open();
      const name = leaseName();
      const old = (await first.acquire(name, 'holder-a', SHORT_TTL))!;
      await sleep(EXPIRED);
      const taken = (await second.acquire(name, 'holder-b', LONG_TTL))!;
      expect(taken.token).toBeGreaterThan(old.token);
      expect(await first.renew(name, 'holder-a', old.token, LONG_TTL)).toBeUndefined();
      await first.release(name, 'holder-a', old.token);
      expect(await first.holderOf(name)).toMatchObject({ holder: 'holder-b', token: taken.token });
    });

    it('frees the lease on release, and the next holder gets a higher token', async () => {
      const { first, second } = await open();
      const name = leaseName();
      const a = (await first.acquire(name, 'holder-a', LONG_TTL))!;
      await first.release(name, 'holder-a', a.token);
      expect(await first.holderOf(name)).toBeUndefined();
      const b = (await second.acquire(name, 'holder-b', LONG_TTL))!;
      expect(b.token).toBeGreaterThan(a.token);
      // The same holder name again is a new acquisition, with a new token.
      await second.release(name, 'holder-b', b.token);
      const again = (await second.acquire(name, 'holder-b', LONG_TTL))!;
      expect(again.token).toBeGreaterThan(b.token);
    });

    it('grants a token above the one asked to be passed, and counts on from there', async () => {
      const { first, second } = await open();
      const name = leaseName();
      const a = (await first.acquire(name, 'holder-a', LONG_TTL))!;
      await first.release(name, 'holder-a', a.token);
      const b = (await second.acquire(name, 'holder-b', LONG_TTL, { above: a.token + 50 }))!;
      expect(b.token).toBeGreaterThan(a.token + 50);
      await second.release(name, 'holder-b', b.token);
      expect((await first.acquire(name, 'holder-a', LONG_TTL))!.token).toBeGreaterThan(b.token);
    });

    it('has the read-model store refuse a write under a stale token once the next holder wrote', async () => {
      const { first, second, readModels } = await open();
      const name = leaseName();
      const layout = { name: `fenced-${name}`, version: 1, collections: [{ name: `docs_${name.replaceAll('-', '_')}`, indexes: [] }] };
      const collection = layout.collections[0]!.name;
      await readModels.register(layout);
      const put = (id: string, position: number) => [{ projection: layout.name, position, changes: [{ op: 'put' as const, collection, id, doc: { id } }] }];

      const old = (await first.acquire(name, 'holder-a', SHORT_TTL))!;
      expect(await readModels.applyBatch(put('by-a', 1), { fence: { lease: name, token: old.token } })).toEqual([true]);
      // Holder A pauses past its expiry; B takes over and writes.
      await sleep(EXPIRED);
      const taken = (await second.acquire(name, 'holder-b', LONG_TTL))!;
      expect(await readModels.applyBatch(put('by-b', 2), { fence: { lease: name, token: taken.token } })).toEqual([true]);
      // A wakes up with a batch from further on: refused whole, nothing of it written.
      const late = readModels.applyBatch(put('late-a', 3), { fence: { lease: name, token: old.token } });
      await expect(late).rejects.toBeInstanceOf(FencedOffError);
      await expect(late).rejects.toMatchObject({ highest: taken.token });
      expect(await readModels.get(collection, 'late-a')).toBeUndefined();
      expect(await readModels.checkpoints.get(layout.name)).toBe(2);
      // The new holder goes on.
      expect(await readModels.applyBatch(put('by-b-again', 3), { fence: { lease: name, token: taken.token } })).toEqual([true]);
    });
  });
}
