import { afterEach, describe, expect, it } from 'vitest';
import type { Ledger } from '../../src/composition/ledger.ts';
import { testLedger } from '../support/ledger.ts';

/** 310 token requests from one client (app.inject comes from 127.0.0.1); the statuses it got. */
async function burstOfTokenRequests(ledger: Ledger): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < 310; i++) {
    const res = await ledger.app.inject({
      method: 'POST',
      url: '/api/v1/token',
      payload: { grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: 'not-a-jwt' },
    });
    statuses.push(res.statusCode);
  }
  return statuses;
}

describe('rate limit on the token endpoint', () => {
  let ledger: Ledger | undefined;
  afterEach(async () => {
    await ledger?.close();
  });

  it('answers 429 problem+json once a client passes 300 requests a minute', async () => {
    ledger = await testLedger();
    const statuses = await burstOfTokenRequests(ledger);
    expect(statuses.slice(0, 300).every((s) => s === 400)).toBe(true);
    expect(statuses.slice(300).every((s) => s === 429)).toBe(true);
    const res = await ledger.app.inject({ method: 'POST', url: '/api/v1/token', payload: {} });
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('exempts the client IPs in LEDGER_RATE_LIMIT_ALLOW', async () => {
    ledger = await testLedger({ LEDGER_RATE_LIMIT_ALLOW: '10.0.0.1, 127.0.0.1' });
    expect(new Set(await burstOfTokenRequests(ledger))).toEqual(new Set([400]));
  });
});
