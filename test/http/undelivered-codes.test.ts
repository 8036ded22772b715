import { afterEach, describe, expect, it } from 'vitest';
import { streamNames } from '../../events/envelope.ts';
import { buildLedger, type Ledger } from '../../src/composition/ledger.ts';
import { NOT_DELIVERED_BEFORE_EXPIRY } from '../../src/app/acts/act-service.ts';
import { UNDELIVERED_CODES } from '../../projections/undelivered-codes.ts';
import { testBuildOptions, testConfig } from '../support/ledger.ts';
import { sentCode, type DeliveredCodeView } from '../support/delivery.ts';
import { caughtUp, JANA, movableClock, providerClient } from '../support/retention-ledger.ts';

const MINUTE = 60_000;

/**
 * A code whose delivery task was lost (a crash between its CodeIssued and the queue, where the two
 * do not share a transaction) must not stay `pending`. A ledger that runs no jobs stands for it:
 * its codes are queued and nothing ever delivers them.
 */
describe('a code whose delivery never happened', () => {
  const ledgers: Ledger[] = [];
  afterEach(async () => {
    for (const ledger of ledgers.splice(0)) await ledger.close();
  });

  async function ledgerThatDeliversNothing() {
    const time = movableClock(new Date());
    const ledger = await buildLedger(testConfig({ LEDGER_CODE_TTL: 'PT5M' }), testBuildOptions({ clock: time.clock, runJobs: false }));
    ledgers.push(ledger);
    await ledger.app.ready();
    const provider = await providerClient(ledger);
    const actId = await provider.register();
    const issued = await provider.call('POST', `/api/v1/acts/${actId}/codes`, { channel: 'sms' });
    expect(issued.statusCode, issued.body).toBe(201);
    const { codeId } = issued.json() as { codeId: string };
    const codeOf = async () => ((await provider.call('GET', `/api/v1/acts/${actId}`)).json() as { codes: DeliveredCodeView[] }).codes.find((c) => c.codeId === codeId)!;
    const failures = async () => (await ledger.services.eventStore.readStream(streamNames.act(actId))).filter((e) => e.type === 'CodeDeliveryFailed').map((e) => e.data);
    return { ledger, time, provider, actId, codeId, codeOf, failures };
  }

  it('reads pending while the code is valid, and failed, with the reason, once it expired: recorded on that read', async () => {
    const { time, codeOf, failures, codeId } = await ledgerThatDeliversNothing();
    expect(await codeOf()).toMatchObject({ delivery: 'pending' });
    time.advance(4 * MINUTE);
    expect(await codeOf()).toMatchObject({ delivery: 'pending' });
    time.advance(MINUTE + 1_000);
    expect(await codeOf()).toMatchObject({ delivery: 'failed', failure: { reason: NOT_DELIVERED_BEFORE_EXPIRY } });
    // Recorded once in the act's stream, not only shown: a second read records nothing more.
    expect(await codeOf()).toMatchObject({ delivery: 'failed' });
    expect(await failures()).toEqual([expect.objectContaining({ codeId, reason: NOT_DELIVERED_BEFORE_EXPIRY, attempts: 0 })]);
  });

  it('is recorded as not delivered by the expiry sweep, without anyone reading the act', async () => {
    const { ledger, time, failures, codeId, codeOf } = await ledgerThatDeliversNothing();
    await caughtUp(ledger);
    expect(await ledger.services.readModels.find(UNDELIVERED_CODES, {})).toEqual([expect.objectContaining({ codeId })]);
    // Not yet expired: the sweep leaves it.
    expect(await ledger.services.actExpiry.run('before')).toMatchObject({ undeliveredCodes: 0, failures: 0 });
    expect(await failures()).toEqual([]);
    time.advance(5 * MINUTE + 1_000);
    expect(await ledger.services.actExpiry.run('after')).toMatchObject({ undeliveredCodes: 1, expiredActs: 0, failures: 0 });
    expect(await failures()).toEqual([expect.objectContaining({ codeId, reason: NOT_DELIVERED_BEFORE_EXPIRY })]);
    await caughtUp(ledger);
    expect(await ledger.services.readModels.find(UNDELIVERED_CODES, {})).toEqual([]);
    expect(await ledger.services.actExpiry.run('again')).toMatchObject({ undeliveredCodes: 0 });
    expect(await codeOf()).toMatchObject({ delivery: 'failed', failure: { reason: NOT_DELIVERED_BEFORE_EXPIRY } });
  });

  it('a code that was delivered stays sent past its expiry', async () => {
    const time = movableClock(new Date());
    const ledger = await buildLedger(testConfig(), testBuildOptions({ clock: time.clock }));
    ledgers.push(ledger);
    await ledger.app.ready();
    const provider = await providerClient(ledger);
    const actId = await provider.register();
    const issued = (await provider.call('POST', `/api/v1/acts/${actId}/codes`, { channel: 'sms' })).json() as { codeId: string; codeSha256: string };
    await sentCode(ledger, JANA, actId, issued);
    time.advance(10 * MINUTE);
    await caughtUp(ledger);
    expect(await ledger.services.actExpiry.run('after')).toMatchObject({ undeliveredCodes: 0 });
    const act = (await provider.call('GET', `/api/v1/acts/${actId}`)).json() as { codes: DeliveredCodeView[] };
    expect(act.codes).toEqual([expect.objectContaining({ codeId: issued.codeId, delivery: 'sent' })]);
  });
});
