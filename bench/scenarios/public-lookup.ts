import { createHash, randomBytes } from 'node:crypto';
import { solveChallenge } from 'altcha-lib/v1';
import { providerSector } from '../../src/app/pseudonyms.ts';
import { codeHashes } from '../../src/app/acts.ts';
import type { LedgerUnderLoad } from '../ledger-fixture.ts';
import type { Scenario } from '../scenario.ts';

/** Solved captchas per second of the run: more than the route can take, each usable once. */
const CAPTCHAS_PER_SECOND = 10_000;
const SOLVE_AT_ONCE = 1000;

/** One authorized document to find among unknown ones, as a real mix of lookups would be. */
async function authorizedDocument(target: LedgerUnderLoad): Promise<string> {
  const { services, app } = target.ledger;
  const provider = await target.registerProvider();
  const token = await provider.accessToken();
  const jana = (await services.citizens.get('test-person-jana'))!;
  const sepp = await services.pseudonyms.seppFor(providerSector(provider.providerId), jana);
  const documentHash = createHash('sha256').update('bench: an authorized document').digest('hex');
  const headers = { authorization: `Bearer ${token}` };
  const act = (await app.inject({ method: 'POST', url: '/api/v1/acts', headers, payload: { sepp, documentHash, name: 'Bench act' } })).json() as { actId: string };
  const issued = (await app.inject({ method: 'POST', url: `/api/v1/acts/${act.actId}/codes`, headers, payload: { channel: 'sms' } })).json() as { codeId: string };
  const code = services.outbox!.messagesFor(jana.aifo).at(-1)!.code;
  await app.inject({ method: 'POST', url: `/api/v1/acts/${act.actId}/codes/${issued.codeId}/verifications`, headers, payload: { codeSha512: codeHashes(act.actId, code).codeSha512 } });
  await services.projections.waitFor(await services.eventStore.headPosition());
  return documentHash;
}

/**
 * POST /api/v1/public/verifications with a hash as JSON: captcha checked and spent (a durable
 * replay-guard insert), then the verification index queried. Every request carries its own
 * captcha, issued by the ledger and solved with altcha-lib before the clock starts. The pool is
 * issued at the lowest difficulty, which only shortens the solving: the ledger's check costs the same.
 */
export const publicLookup: Scenario = {
  id: 'public-lookup',
  route: 'POST /api/v1/public/verifications',
  async prepare(context) {
    const target = await context.ledger();
    const authorized = await authorizedDocument(target);
    const { captcha } = target.ledger.services;
    const count = context.settings.durationS * CAPTCHAS_PER_SECOND;
    const solving = performance.now();
    const bodies: string[] = [];
    for (let at = 0; at < count; at += SOLVE_AT_ONCE) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(SOLVE_AT_ONCE, count - at) }, async (_, i) => {
          const c = await captcha.challenge({ maxNumber: 1 });
          const solution = (await solveChallenge(c.challenge, c.salt, c.algorithm, c.maxnumber).promise)!;
          const altcha = Buffer.from(JSON.stringify({ ...c, number: solution.number, took: solution.took })).toString('base64');
          // One lookup in four finds the authorized document.
          const documentHash = (at + i) % 4 === 0 ? authorized : randomBytes(32).toString('hex');
          return JSON.stringify({ documentHash, altcha });
        }),
      );
      bodies.push(...batch);
    }
    const solvedS = (performance.now() - solving) / 1000;
    let next = 0;
    return {
      target: {
        url: `${target.url}/api/v1/public/verifications`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        setupRequest: (request) => ({ ...request, body: bodies[next++ % bodies.length]! }),
      },
      note: () =>
        `${bodies.length} captchas issued and solved with altcha-lib beforehand in ${solvedS.toFixed(1)} s` +
        (next > bodies.length ? `; they ran out after ${bodies.length} requests, later ones were replays (400)` : `; ${next} used`),
    };
  },
};
