import { createHash, randomUUID } from 'node:crypto';
import { streamNames } from '../../events/envelope.ts';
import type { ActEvent, AuthorizationMethod, FailureReason } from '../../events/act.ts';
import { actDecider, type ActCommand } from '../../commands/act.ts';
import { newReceiptSalt } from '../../src/app/acts/act-service.ts';
import type { Decider } from '../../commands/decider.ts';
import { handleCommand, type EventCodec } from '../../src/app/command-handler.ts';
import type { EventStore } from '../../src/ports/event-store.ts';
import type { KeyVault } from '../../src/ports/key-vault.ts';
import { seeded } from './shelving.ts';

/**
 * Realistic act histories for projection specs: every act goes through the real act decider and
 * the real act codec (sealed fields, per-act keys) into the event store, with each way an act can
 * end. What each act became is recorded beside it, independently of any projection: the oracle.
 */

export type Outcome =
  | { status: 'pending' }
  | { status: 'authorized'; method: AuthorizationMethod; authorizedAt: string }
  | { status: 'failed'; reason: FailureReason };

export interface ActRecord {
  actId: string;
  aifo: string;
  providerName: string;
  documentHash: string;
  name: string;
  description: string;
  outcome: Outcome;
  /** Its data key was destroyed: nothing personal may come back from its events. */
  erased: boolean;
}

export interface HistoryOptions {
  seed: number;
  acts: number;
  /** Acts in flight at once, so appends group-commit and interleave as they do under load. */
  parallel?: number;
  /** Destroy the key right after registration (retention's erasure, before or after the outcome). */
  erase?: 'none' | 'after-registration' | 'failed-after-outcome';
}

export interface ActHistoryDeps {
  store: EventStore;
  codec: EventCodec<ActEvent>;
  vault: KeyVault;
}

const PROVIDERS = ['Finanční úřad – daňový portál', 'Stavební úřad Brno', 'Katastr nemovitostí'];
const PERSONS = ['person-a', 'person-b', 'person-c', 'person-d', 'person-e', 'person-f'];
const ENDINGS = ['pending', 'sms', 'mobile-key', 'authentication', 'identity-mismatch', 'attempts-exhausted', 'expired', 'cancelled', 'loa-too-low', 'authentication-failed'] as const;
const BASE = Date.parse('2026-03-01T08:00:00.000Z');
const verifier = (actId: string, codeId: string) => createHash('sha256').update(`${actId}:${codeId}`).digest('hex');

/** Appends `options.acts` acts and answers what each became, in registration order. */
export async function appendActHistory(deps: ActHistoryDeps, options: HistoryOptions): Promise<ActRecord[]> {
  const random = seeded(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  // A small pool of documents, so one hash has several acts with different endings.
  const documents = Array.from({ length: Math.max(4, Math.floor(options.acts / 3)) }, (_, i) => createHash('sha256').update(`document ${options.seed}/${i}`).digest('hex'));
  const plans = Array.from({ length: options.acts }, (_, i) => ({
    i,
    seed: options.seed,
    ending: pick(ENDINGS),
    aifo: pick(PERSONS),
    provider: pick(PROVIDERS),
    documentHash: pick(documents),
  }));
  const records: ActRecord[] = [];
  const parallel = options.parallel ?? 50;
  for (let at = 0; at < plans.length; at += parallel) {
    records.push(...(await Promise.all(plans.slice(at, at + parallel).map((plan) => runAct(deps, plan, options.erase ?? 'none')))));
  }
  return records;
}

async function runAct(
  deps: ActHistoryDeps,
  plan: { i: number; seed: number; ending: (typeof ENDINGS)[number]; aifo: string; provider: string; documentHash: string },
  erase: NonNullable<HistoryOptions['erase']>,
): Promise<ActRecord> {
  const actId = randomUUID();
  const at = (step: number) => new Date(BASE + plan.i * 60_000 + step * 1000).toISOString();
  const run = (command: ActCommand, step: number) =>
    handleCommand({ store: deps.store, streamName: streamNames.act(actId), decider: actDecider, command, context: { actor: 'provider-1', now: at(step) }, codec: deps.codec });
  const record: ActRecord = {
    actId,
    aifo: plan.aifo,
    providerName: plan.provider,
    documentHash: plan.documentHash,
    name: `Žádost ${plan.seed}/${plan.i} <b>&</b>`,
    description: plan.i % 7 === 0 ? '' : `Popis úkonu ${plan.seed}/${plan.i}: "přiznání" k dani`,
    outcome: { status: 'pending' },
    erased: false,
  };
  await run(
    {
      type: 'RegisterAct',
      actId,
      providerId: 'provider-1',
      providerName: plan.provider,
      sepp: `sepp-of-${plan.aifo}`,
      aifo: plan.aifo,
      documentHash: plan.documentHash,
      name: record.name,
      description: record.description,
      loa: plan.ending === 'loa-too-low' ? 'high' : null,
      gateway: 'national',
      methods: ['authentication', 'sms', 'mobile-key'],
      requestDigest: 'digest',
      attemptsAllowed: 2,
      now: at(0),
      expiresAt: at(30),
    },
    0,
  );
  if (erase === 'after-registration') {
    await deps.vault.destroy([actId]);
    record.erased = true;
    // With the key gone, the codec cannot seal a code's destination or an identity: only what needs neither.
    if (plan.ending === 'sms' || plan.ending === 'mobile-key' || plan.ending === 'authentication') {
      const authorizedAt = at(3);
      await appendThroughCodec(deps, actId, { type: 'ActAuthorized', data: { method: plan.ending, loa: null, authorizedAt } }, authorizedAt);
      record.outcome = { status: 'authorized', method: plan.ending, authorizedAt };
    } else if (plan.ending !== 'pending') {
      await run({ type: 'ExpireAct', now: at(31) }, 31);
      record.outcome = { status: 'failed', reason: 'expired' };
    }
    return record;
  }

  const authenticate = async (outcome: 'authenticated' | 'cancelled' | 'failed', aifo: string | null, loa: 'low' | 'high') => {
    const authenticationId = randomUUID();
    // As the authorization SeP does: the LoA the act was registered with is the one required.
    const required = plan.ending === 'loa-too-low' ? 'high' : null;
    await run({ type: 'RequestAuthentication', providerId: 'provider-1', authenticationId, redirectUri: 'https://provider.example/return', loa: required, now: at(1) }, 1);
    const identity = outcome === 'authenticated' ? `bsi-of-${aifo}` : null;
    await run({ type: 'CompleteAuthentication', authenticationId, outcome, aifo, identity, loaAchieved: outcome === 'authenticated' ? loa : null, means: null, receiptSalt: newReceiptSalt(), now: at(2) }, 2);
  };
  const code = async (channel: 'sms' | 'mobile-key', right: boolean, tries: number) => {
    const codeId = randomUUID();
    await run({ type: 'IssueCode', providerId: 'provider-1', codeId, channel, verifier: verifier(actId, codeId), destinationHint: '+420 *** *** 001', now: at(1), expiresAt: at(10) }, 1);
    for (let t = 0; t < tries; t++) {
      await run({ type: 'VerifyCode', providerId: 'provider-1', codeId, verifier: right ? verifier(actId, codeId) : verifier(actId, 'wrong'), receiptSalt: newReceiptSalt(), now: at(2 + t) }, 2 + t);
    }
  };
  switch (plan.ending) {
    case 'pending':
      break;
    case 'sms':
    case 'mobile-key':
      await code(plan.ending, true, 1);
      record.outcome = { status: 'authorized', method: plan.ending, authorizedAt: at(2) };
      break;
    case 'authentication':
      await authenticate('authenticated', plan.aifo, 'high');
      record.outcome = { status: 'authorized', method: 'authentication', authorizedAt: at(2) };
      break;
    case 'identity-mismatch':
      await authenticate('authenticated', `not-${plan.aifo}`, 'high');
      record.outcome = { status: 'failed', reason: 'identity-mismatch' };
      break;
    case 'attempts-exhausted':
      await code('sms', false, 2);
      record.outcome = { status: 'failed', reason: 'attempts-exhausted' };
      break;
    case 'expired':
      await run({ type: 'ExpireAct', now: at(31) }, 31);
      record.outcome = { status: 'failed', reason: 'expired' };
      break;
    case 'cancelled':
      await authenticate('cancelled', null, 'low');
      record.outcome = { status: 'failed', reason: 'cancelled' };
      break;
    case 'loa-too-low':
      await authenticate('authenticated', plan.aifo, 'low');
      record.outcome = { status: 'failed', reason: 'loa-too-low' };
      break;
    case 'authentication-failed':
      await authenticate('failed', null, 'low');
      record.outcome = { status: 'failed', reason: 'authentication-failed' };
      break;
  }
  if (erase === 'failed-after-outcome' && record.outcome.status === 'failed') {
    await deps.vault.destroy([actId]);
    record.erased = true;
  }
  return record;
}

/** One event appended to the act's stream as it stands, through the codec, without a decider's rules. */
async function appendThroughCodec(deps: ActHistoryDeps, actId: string, event: ActEvent, now: string): Promise<void> {
  const append: Decider<null, null, ActEvent> = { initialState: () => null, evolve: () => null, decide: () => [event] };
  await handleCommand({ store: deps.store, streamName: streamNames.act(actId), decider: append, command: null, context: { actor: 'test', now }, codec: deps.codec });
}
