import type { Scenario } from '../scenario.ts';

/** GET /api/v1/provider with an ActAs token: the cost of authenticating a provider call, with no work behind it. */
export const authenticatedNoOp: Scenario = {
  id: 'provider',
  route: 'GET /api/v1/provider (ActAs)',
  async prepare(context) {
    const target = await context.ledger();
    const provider = await target.registerProvider();
    const token = await provider.accessToken();
    return { target: { url: `${target.url}/api/v1/provider`, headers: { authorization: `Bearer ${token}` } } };
  },
};
