import { describe, expect, it } from 'vitest';
import { openedFields } from '../../../projections/opened-act.ts';
import { actRegistered, personal } from '../../support/act-events.ts';

describe('opened fields of an ActRegistered (what the staged projections build on)', () => {
  it('are the unsealed personal fields', () => {
    expect(openedFields(actRegistered('a'))).toEqual(personal);
  });

  it('are gone once the act is erased', () => {
    expect(openedFields(actRegistered('a', { erased: true }))).toBeUndefined();
  });
});
