import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../../events/envelope.ts';
import { sealedFields, type ActEventType } from '../../../events/act.ts';
import { projections } from '../../../projections/index.ts';
import { actAuthorized, actFailed, actRegistered, authorizationDisputed, codeIssued, purgeExecuted } from '../../support/act-events.ts';
import { deleteMatching, foldEvents, recordedEvent } from '../../support/projection-spec.ts';

/**
 * A retention purge deletes an act's rows from every collection indexing `actId` (deleteWhere,
 * outside the projections) and destroys its key. A rebuild from zero after that sees the act's
 * sealed fields erased and the purge record; it must end where the live read model is, or
 * `ledger replay` reports a difference for every purged act.
 */
const failedAct = 'f';
const keptAct = 'k';

/**
 * A failed act that had a code issued whose delivery was never recorded, and that its person
 * reported as not theirs, beside an authorized one.
 */
const history: RecordedEvent[] = [
  actRegistered(failedAct, { position: 1 }),
  { ...codeIssued(failedAct), position: 2 },
  recordedEvent(`act-${failedAct}`, 'CodeAttempted', { codeId: 'code-1', outcome: 'mismatch', attemptsLeft: 4, attemptedAt: '2026-11-20T08:01:00.000Z' }, { revision: 2, position: 3 }),
  actFailed(failedAct, 'expired', '2026-11-21T08:00:00.000Z', { position: 4 }),
  actRegistered(keptAct, { position: 5 }),
  actAuthorized(keptAct, 'sms', '2026-11-20T08:05:00.000Z', { position: 6 }),
  authorizationDisputed(failedAct, '2026-11-21T09:00:00.000Z', { position: 7 }),
];
const purge = purgeExecuted([failedAct], { position: 8 });

/** The same events as the act codec hands them to a rebuild once the act's key is destroyed: sealed fields gone, `erased` set. */
const afterKeyDestroyed = history.map((event): RecordedEvent => {
  const fields = sealedFields[event.type as ActEventType];
  if (event.streamName !== `act-${failedAct}` || !fields) return event;
  const data = Object.fromEntries(Object.entries(event.data).filter(([field]) => !fields.includes(field)));
  return { ...event, data: { ...data, erased: true } };
});

describe('every projection after a retention purge', () => {
  for (const projection of projections) {
    it(`${projection.name}: a rebuild from zero ends as the live read model the purge cleaned`, async () => {
      const live = await foldEvents(projection, history);
      for (const c of projection.collections) if (c.indexes.includes('actId')) deleteMatching(live[c.name]!, { actId: failedAct });
      await foldEvents(projection, [purge], live);

      // A projection of the log itself reads events as stored, and destroying a key changes no stored byte.
      const replayed = projection.handles === 'every-event' ? history : afterKeyDestroyed;
      const rebuilt = await foldEvents(projection, [...replayed, purge]);
      expect(rebuilt).toEqual(live);
    });
  }

  it('the purge leaves rows of the act nowhere a rebuild would put them back (the failed act had rows to purge)', async () => {
    const before = await Promise.all(projections.map((p) => foldEvents(p, history)));
    const rowsOfFailedAct = before.flatMap((stored) => Object.values(stored).flatMap((docs) => Object.values(docs))).filter((doc) => doc.actId === failedAct);
    expect(rowsOfFailedAct.length).toBeGreaterThan(0);
  });
});
