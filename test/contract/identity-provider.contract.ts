import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Loa } from '../../events/act.ts';
import type {
  AuthenticatedIdentity,
  AuthenticationRequest,
  AuthenticationTransaction,
  CallbackParameters,
  IdentityProvider,
} from '../../src/ports/identity-provider.ts';

export const JANA = 'test-person-jana';
export const PETR = 'test-person-petr';

/** The person at the identity provider: signs in as one of the two test persons with a means of `loa`, or cancels. */
export type PersonAction = { aifo: typeof JANA | typeof PETR; loa: Loa } | 'cancel';

export interface IdentityProviderUnderTest {
  idp: IdentityProvider;
  callbackUrl: string;
  /** Plays the browser from `redirectUrl` to the callback; answers the callback's query parameters. */
  act(redirectUrl: string, action: PersonAction): Promise<CallbackParameters>;
  /** The AIFO an identity resolves to in the adapter's sector. */
  resolve(identity: AuthenticatedIdentity): Promise<string | undefined>;
  cleanup(): Promise<void>;
}

/**
 * The IdentityProvider contract: whatever the adapter, an authentication says who (resolvable to
 * an AIFO), with which LoA and when; a cancel is `cancelled`; an answer that belongs to another
 * transaction, or no answer at all, is never an authentication and never an exception.
 */
export function identityProviderContract(name: string, make: () => Promise<IdentityProviderUnderTest>): void {
  describe(`IdentityProvider contract: ${name}`, () => {
    let subject: IdentityProviderUnderTest;
    beforeAll(async () => {
      subject = await make();
    });
    afterAll(() => subject?.cleanup());

    /** A transaction as the ledger would keep it, and where the browser is sent. */
    const begin = async (loa: Loa | null = null): Promise<AuthenticationTransaction & { redirectUrl: string }> => {
      const request: AuthenticationRequest = {
        gateway: 'national',
        loa,
        forceAuth: true,
        callbackUrl: subject.callbackUrl,
        state: randomBytes(16).toString('base64url'),
        nonce: randomBytes(16).toString('base64url'),
      };
      const startedAt = Date.now();
      const started = await subject.idp.begin(request);
      return { ...request, startedAt, ...(started.verifier ? { verifier: started.verifier } : {}), redirectUrl: started.redirectUrl };
    };
    const redirectOf = (tx: { redirectUrl: string }) => tx.redirectUrl;

    // An OP reports `acr` only when asked for one, so a LoA is asked for here.
    it('answers who authenticated, with the LoA of the means and a time no earlier than the transaction', async () => {
      const tx = await begin('low');
      const result = await subject.idp.complete(await subject.act(redirectOf(tx), { aifo: JANA, loa: 'high' }), tx);
      expect(result.outcome).toBe('authenticated');
      if (result.outcome !== 'authenticated') return;
      expect(await subject.resolve(result.identity)).toBe(JANA);
      expect(result.loaAchieved).toBe('high');
      expect(Date.parse(result.authTime ?? '')).toBeGreaterThanOrEqual(tx.startedAt - 1000);
    });

    it('tells two persons apart, and reports a weaker means as a lower LoA', async () => {
      const tx = await begin('substantial');
      const result = await subject.idp.complete(await subject.act(redirectOf(tx), { aifo: PETR, loa: 'low' }), tx);
      expect(result).toMatchObject({ outcome: 'authenticated', loaAchieved: 'low' });
      if (result.outcome === 'authenticated') expect(await subject.resolve(result.identity)).toBe(PETR);
    });

    it('answers cancelled when the person cancels', async () => {
      const tx = await begin();
      expect(await subject.idp.complete(await subject.act(redirectOf(tx), 'cancel'), tx)).toMatchObject({ outcome: 'cancelled' });
    });

    it('does not take the answer to another transaction as an authentication of this one', async () => {
      const ours = await begin();
      const theirs = await begin();
      const theirAnswer = await subject.act(redirectOf(theirs), { aifo: PETR, loa: 'high' });
      const result = await subject.idp.complete({ ...theirAnswer, state: ours.state }, ours);
      expect(result.outcome).toBe('failed');
    });

    it('answers failed, without throwing, to a callback that carries nothing', async () => {
      const tx = await begin();
      expect(await subject.idp.complete({ state: tx.state }, tx)).toMatchObject({ outcome: 'failed' });
    });
  });
}
