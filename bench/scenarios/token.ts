import { tokenForm } from '../ledger-fixture.ts';
import type { Scenario } from '../scenario.ts';

/** Assertions signed ahead per second of the run; more than the endpoint can take (one fsync per jti). */
const ASSERTIONS_PER_SECOND = 8000;

/** POST /api/v1/token: verify a provider's signed assertion, record its jti once, sign an ActAs token. */
export const tokenIssuance: Scenario = {
  id: 'token',
  route: 'POST /api/v1/token',
  async prepare(context) {
    const target = await context.ledger();
    const provider = await target.registerProvider();
    // Every request needs a fresh jti; signing is kept out of the timed loop.
    const pool = await provider.signAssertions(Math.ceil(context.settings.durationS * ASSERTIONS_PER_SECOND));
    const bodies = pool.map((a) => new URLSearchParams(tokenForm(a)).toString());
    let next = 0;
    return {
      target: {
        url: `${target.url}/api/v1/token`,
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        setupRequest: (request) => ({ ...request, body: bodies[next++ % bodies.length]! }),
      },
      note: () => (next > bodies.length ? `signed assertions ran out after ${bodies.length}; later requests were replays (401)` : undefined),
    };
  },
};
