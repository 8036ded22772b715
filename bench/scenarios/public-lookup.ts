import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { solveChallenge } from 'altcha-lib/v1';
import { codeHashes } from '../../src/app/acts/act-service.ts';
import { CaptchaService } from '../../src/app/citizens/captcha.ts';
import { LedgerKeys } from '../../src/app/ledger-keys.ts';
import { call, type LedgerUnderLoad } from '../ledger-fixture.ts';
import type { Scenario } from '../scenario.ts';

/** Solved captchas per second of the run: more than the route can take, each usable once. */
const CAPTCHAS_PER_SECOND = 15_000;
const SOLVE_AT_ONCE = 1000;
const CATCH_UP_TIMEOUT_MS = 30_000;

/**
 * One authorized document to find among unknown ones, as a real mix of lookups would be: authorized by
 * SMS code over HTTP. A document of its own each time: a store measured again (the scale bench's kept
 * one) would otherwise find one act more for it at every run, and answer a longer list.
 */
async function authorizedDocument(target: LedgerUnderLoad): Promise<string> {
  const provider = await target.registerProvider();
  const headers = { authorization: `Bearer ${await provider.accessToken()}` };
  const aifo = await target.addPerson({ displayName: 'Lookup bench person', country: 'CZ', phone: '+420799000000', phoneVerified: true, phoneAllowed: true });
  const sepp = await target.seppOf(aifo, provider.providerId);
  const documentHash = createHash('sha256').update(`bench: an authorized document ${randomUUID()}`).digest('hex');
  const acts = `${target.url}/api/v1/acts`;
  const { actId } = await call<{ actId: string }>(acts, 201, { method: 'POST', headers, json: { sepp, documentHash, name: 'Bench act' } });
  const { codeId } = await call<{ codeId: string }>(`${acts}/${actId}/codes`, 201, { method: 'POST', headers, json: { channel: 'sms' } });
  const { codeSha512 } = codeHashes(actId, await target.lastCodeSentTo(aifo));
  const { status } = await call<{ status: string }>(`${acts}/${actId}/codes/${codeId}/verifications`, 200, { method: 'POST', headers, json: { codeSha512 } });
  if (status !== 'authorized') throw new Error(`the lookup bench's act is ${status}, not authorized`);
  await projectionsCaughtUp(target);
  return documentHash;
}

/** Waits until every projection has applied the whole log, so lookups find the authorized document. */
async function projectionsCaughtUp(target: LedgerUnderLoad): Promise<void> {
  const deadline = Date.now() + CATCH_UP_TIMEOUT_MS;
  for (;;) {
    const { position, headPosition } = await target.projections();
    if (position >= headPosition) return;
    if (Date.now() > deadline) throw new Error(`projections still at ${position} of ${headPosition} after ${CATCH_UP_TIMEOUT_MS} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Challenges the server accepts, issued here with its own captcha key (read from the data dir it
 * made on start): issuing them over HTTP would put one more request per lookup into the setup.
 */
async function captchaIssuer(dataDir: string): Promise<CaptchaService> {
  // LedgerKeys.open would make a new key file, silently unlike the server's, if none were there.
  if (!existsSync(join(dataDir, 'ledger-keys.json'))) throw new Error(`no ledger-keys.json in ${dataDir}`);
  const keys = await LedgerKeys.open(dataDir);
  const replayGuard = {
    consume: (): Promise<boolean> => {
      throw new Error('the bench only issues captchas; the server spends them');
    },
  };
  return new CaptchaService({ key: keys.secrets.captchaKey, replayGuard, clock: () => new Date(), ttlMs: 600_000, maxNumber: 1 });
}

/**
 * POST /api/v1/public/verifications with a hash as JSON: captcha checked and spent (a replay-guard
 * insert that outlives a crash of the process), then the verification index queried. Every request carries its own
 * captcha, issued with the ledger's key and solved with altcha-lib before the clock starts. The pool
 * is issued at the lowest difficulty, which only shortens the solving: the ledger's check costs the same.
 */
export const publicLookup: Scenario = {
  id: 'public-lookup',
  route: 'POST /api/v1/public/verifications',
  async prepare(context) {
    const target = await context.ledger();
    const authorized = await authorizedDocument(target);
    const captcha = await captchaIssuer(target.dataDir);
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
