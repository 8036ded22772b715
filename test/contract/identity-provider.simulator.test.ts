import { openSqlite } from '../../src/adapters/sqlite/database.ts';
import { SqliteCitizenRegistry } from '../../src/adapters/sqlite/citizen-registry.ts';
import { SimulatedIdentityNode } from '../../src/adapters/identity/simulator.ts';
import { Pseudonyms } from '../../src/app/citizens/pseudonyms.ts';
import { seedTestPersons } from '../../src/app/citizens/test-persons.ts';
import { randomBytes } from 'node:crypto';
import { identityProviderContract } from './identity-provider.contract.ts';

const MEANS = { high: 'eid-card', substantial: 'bank-identity', low: 'username-password' } as const;

identityProviderContract('simulated identity node', async () => {
  const db = openSqlite(':memory:');
  const citizens = new SqliteCitizenRegistry(db);
  await seedTestPersons(citizens, new Date().toISOString());
  const pseudonyms = new Pseudonyms(randomBytes(32), citizens, 'CZ');
  const node = new SimulatedIdentityNode({ publicUrl: 'http://127.0.0.1:9', secret: randomBytes(32), subjectOf: (person) => pseudonyms.authorizationSubject(person), citizens, homeCountry: 'CZ', clock: () => new Date() });
  return {
    idp: node,
    callbackUrl: 'http://127.0.0.1:9/authorize/callback',
    // The page's form posts exactly these choices; the page itself is tested over HTTP and in Chromium.
    act: async (redirectUrl, action) => {
      const request = await node.readRequest(new URL(redirectUrl).searchParams.get('request')!);
      if (!request) throw new Error('the node did not accept its own request');
      const back = await node.answer(request, action === 'cancel' ? { action: 'cancel' } : { action: 'authenticate', aifo: action.aifo, meansId: MEANS[action.loa] });
      return Object.fromEntries(new URL(back).searchParams);
    },
    resolve: (identity) => citizens.resolve(identity.sector, identity.subject),
    cleanup: async () => {
      db.close();
    },
  };
});
