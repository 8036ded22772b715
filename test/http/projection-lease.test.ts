import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ledger } from '../../src/composition/ledger.ts';
import { openSqlite } from '../../src/adapters/sqlite/database.ts';
import { PENDING_ACTS } from '../../projections/pending-acts.ts';
import { providerSession } from '../support/act-flows.ts';
import { testLedger } from '../support/ledger.ts';

/** Polls until `check` holds; fails after `timeoutMs` (a bound, not a timing assertion). */
async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The holder of the projection lease when the read-model file has seen a higher fencing token than
 * its own (what a take-over by another process leaves, or a lease backend that lost its count): its
 * write is refused, it stops projecting, and it takes the lease again only under a token above the fence.
 */
describe('a projection lease holder fenced off by the read-model store', () => {
  let ledger: Ledger;
  beforeAll(async () => {
    ledger = await testLedger();
  });
  afterAll(() => ledger?.close());

  it('stops at the refused write and projects again only under a token above the fence', async () => {
    const session = await providerSession(ledger);
    const before = ledger.services.projectionRole();
    expect(before.role).toBe('holder');
    const fence = before.fencingToken! + 100;
    // Another holder's token, recorded in the read-model file as its fenced batch would.
    const db = openSqlite(join(ledger.services.config.dataDir, 'read-models.sqlite'));
    db.prepare('UPDATE projection_fences SET token = ? WHERE lease = ?').run(fence, 'projections');
    db.close();

    const actId = await session.register('test-person-jana', 'fenced document', 'Fenced act');
    await eventually('the holder to take the lease again above the fence', () => (ledger.services.projectionRole().fencingToken ?? 0) > fence, 20_000);
    await ledger.services.projections.waitFor(await ledger.services.eventStore.headPosition(), 10_000);
    expect(await ledger.services.readModels.get(PENDING_ACTS, actId)).toMatchObject({ actId });
  });
});
