import { createHash, createHmac, randomBytes, randomInt } from 'node:crypto';
import { streamNames } from '../../../events/envelope.ts';
import type { ActEvent, ActStatus, AuthorizationMethod, CodeChannel, CodeDeliveryState, FailureReason, Loa } from '../../../events/act.ts';
import { actDecider, verificationResult, type ActCommand, type ActState } from '../../../commands/act.ts';
import { DomainError, refuse } from '../../../commands/errors.ts';
import { RECEIPT_SALT_BYTES } from '../../../commands/act-receipt.ts';
import type { EventStore } from '../../ports/event-store.ts';
import type { TaskQueue } from '../../ports/task-queue.ts';
import type { SendLimiter } from '../../ports/send-limiter.ts';
import type { Citizen } from '../../ports/citizen-registry.ts';
import { handleCommand, loadState, type CommandContext, type EventCodec } from '../command-handler.ts';
import { newId, uuidFromName } from '../ids.ts';
import { providerSector, type Pseudonyms } from '../citizens/pseudonyms.ts';
import type { ProviderDirectory } from '../providers/provider-directory.ts';
import { newestDevice, requestDelivery, stageDelivery } from './code-delivery.ts';

export interface ActPolicy {
  actLifetimeMs: number;
  defaultLoa?: Loa;
  code: { length: number; ttlMs: number; attempts: number; sendsPerHour: number };
}

export interface RegisterActInput {
  sepp: string;
  documentHash: string;
  name: string;
  description: string;
  loa?: Loa;
}

/** An act's state and the revision of its stream it was folded from. */
export interface LoadedAct {
  state: ActState;
  revision: number;
}

/** What a provider sees of its act. */
export interface ActView {
  actId: string;
  status: ActStatus;
  methods: AuthorizationMethod[];
  expiresAt: string;
  registeredAt: string;
  method?: AuthorizationMethod;
  authorizedAt?: string;
  failure?: { reason: FailureReason; failedAt: string };
  /** Every code issued for the act, oldest first, with where its delivery stands. */
  codes: CodeView[];
}

/** One code as its provider sees it: never the code, only what became of its delivery. */
export interface CodeView {
  codeId: string;
  channel: CodeChannel;
  delivery: CodeDeliveryState;
  issuedAt: string;
  expiresAt: string;
  deliveredAt?: string;
  failure?: { reason: string; failedAt: string };
}

/** What a code request answers at once: the delivery itself runs as a task. */
export interface IssuedCode {
  codeId: string;
  codeSha256: string;
  expiresAt: string;
  attemptsLeft: number;
  delivery: 'pending';
}

export interface ActServiceDeps {
  store: EventStore;
  codec: EventCodec<ActEvent>;
  providers: ProviderDirectory;
  pseudonyms: Pseudonyms;
  /** Where code deliveries are queued (CodeDelivery runs them). */
  tasks: TaskQueue;
  /** Seals a code for its trip through the task queue. */
  deliveryKey: Buffer;
  sendLimiter: SendLimiter;
  /** Keys the verifiers and request digests; never leaves the ledger. */
  verifierKey: Buffer;
  policy: ActPolicy;
  clock: () => Date;
}

/** Why a code whose delivery was still pending when it expired is recorded as failed. */
export const NOT_DELIVERED_BEFORE_EXPIRY = 'not delivered before the code expired';

const EXPIRY_ACTOR = 'system:expiry';

/** Codes of the act whose delivery is still pending at or past their expiry: nothing can deliver them any more. */
export function undeliveredExpiredCodes(state: ActState, nowMs: number): string[] {
  return Object.entries(state.codes)
    .filter(([, code]) => code.delivery === 'pending' && Date.parse(code.expiresAt) <= nowMs)
    .map(([codeId]) => codeId);
}

/** The defined way of hashing a code (published in the OpenAPI description). */
export const codeHashes = (actId: string, code: string) => ({
  codeSha256: createHash('sha256').update(`${actId}:${code}`, 'utf8').digest('hex'),
  codeSha512: createHash('sha512').update(`${actId}:${code}`, 'utf8').digest('hex'),
});

/**
 * Acts: registration, codes and results. Each call reads the act stream, lets the decider rule,
 * and appends; a pending act past its lifetime is failed as `expired` first, lazily.
 */
export class ActService {
  constructor(private readonly deps: ActServiceDeps) {}

  private context(actor: string, correlationId?: string, idempotencyKey?: string): CommandContext {
    return { actor, now: this.deps.clock().toISOString(), ...(correlationId ? { correlationId } : {}), ...(idempotencyKey ? { idempotencyKey } : {}) };
  }

  /** `known`: the act as just loaded, so the command does not read the stream again (unless it conflicts). */
  private run(actId: string, command: ActCommand, context: CommandContext, known?: LoadedAct) {
    return handleCommand({ store: this.deps.store, streamName: streamNames.act(actId), decider: actDecider, command, context, codec: this.deps.codec, ...(known ? { known } : {}) });
  }

  /** Registers an act; with an Idempotency-Key, the same body gives the same act and a different body a conflict. */
  async register(
    providerId: string,
    input: RegisterActInput,
    options: { idempotencyKey?: string; correlationId?: string } = {},
  ): Promise<{ act: ActView; replayed: boolean; citizen: Citizen }> {
    const { providers, pseudonyms, policy, clock } = this.deps;
    const provider = await providers.get(providerId);
    const citizen = await pseudonyms.resolve(providerSector(providerId), input.sepp);
    if (!citizen) refuse('sepp-unknown', 'this SePP does not identify a citizen known to this provider');
    const requestDigest = this.digest(JSON.stringify([providerId, input.sepp, input.documentHash, input.name.trim(), input.description.trim(), input.loa ?? null]));
    const actId = options.idempotencyKey ? uuidFromName(`act:${providerId}:${options.idempotencyKey}`) : newId();

    if (options.idempotencyKey) {
      const { state } = await this.load(actId);
      if (state.status !== 'none') return { act: this.sameRequest(state, requestDigest), replayed: true, citizen };
    }
    const foreign = pseudonyms.parse(input.sepp).foreign;
    const now = clock();
    const command: ActCommand = {
      type: 'RegisterAct',
      actId,
      providerId,
      providerName: provider.name,
      sepp: input.sepp,
      aifo: citizen.aifo,
      documentHash: input.documentHash,
      // Surrounding blanks are not part of what the citizen authorizes.
      name: input.name.trim(),
      description: input.description.trim(),
      loa: foreign ? null : (input.loa ?? policy.defaultLoa ?? null),
      gateway: foreign ? 'international' : 'national',
      methods: methodsFor(citizen),
      requestDigest,
      attemptsAllowed: policy.code.attempts,
      now: now.toISOString(),
      expiresAt: new Date(now.getTime() + policy.actLifetimeMs).toISOString(),
    };
    try {
      const { state, replayed } = await this.run(actId, command, this.context(providerId, options.correlationId, options.idempotencyKey));
      // Same key at once: the store kept the first write (same event ids), and what it holds decides the answer.
      return replayed ? { act: this.sameRequest(state, requestDigest), replayed: true, citizen } : { act: view(state), replayed: false, citizen };
    } catch (error) {
      // Same key, the other request appended between our read and our append: the act exists now.
      if (options.idempotencyKey && error instanceof DomainError && error.code === 'conflict') {
        const { state } = await this.load(actId);
        return { act: this.sameRequest(state, requestDigest), replayed: true, citizen };
      }
      throw error;
    }
  }

  private sameRequest(state: ActState, requestDigest: string): ActView {
    if (state.requestDigest !== requestDigest) refuse('idempotency-key-reused', 'this Idempotency-Key was used for a different act');
    return view(state);
  }

  /** The act as its provider sees it (read-your-writes: straight from the stream). */
  async get(providerId: string, actId: string): Promise<ActView> {
    return view((await this.current(providerId, actId)).state);
  }

  /**
   * Creates a code, records its verifier, queues its delivery, and answers its SHA-256 of the defined
   * way at once (`delivery: 'pending'`). TaskQueueUnavailableError when the queue does not answer:
   * the code is then recorded as failed, so it cannot be confirmed.
   */
  async issueCode(providerId: string, actId: string, channel: CodeChannel, correlationId?: string): Promise<IssuedCode> {
    const { policy, clock, pseudonyms, sendLimiter, tasks, deliveryKey } = this.deps;
    const known = await this.current(providerId, actId);
    const { state } = known;
    const citizen = state.aifo ? await pseudonyms.citizen(state.aifo) : undefined;
    const device = citizen ? newestDevice(citizen.mobileKeys) : undefined;
    const to = channel === 'sms' ? citizen?.phone : device?.deviceId;

    const now = clock();
    const code = String(randomInt(0, 10 ** policy.code.length)).padStart(policy.code.length, '0');
    const { codeSha256, codeSha512 } = codeHashes(actId, code);
    const command: ActCommand = {
      type: 'IssueCode',
      providerId,
      codeId: newId(),
      channel,
      verifier: this.digest(codeSha512),
      destinationHint: !citizen || !to ? null : channel === 'sms' ? maskPhone(to) : (device?.label ?? 'Mobile Key'),
      now: now.toISOString(),
      expiresAt: new Date(now.getTime() + policy.code.ttlMs).toISOString(),
    };
    // The decider's refusals (not pending, channel unavailable: no citizen, phone or device to reach) come before a
    // send is counted against the citizen; past them, `citizen` and `to` are known.
    actDecider.decide(command, state);
    const allowed = await sendLimiter.tryAcquire(this.digest(`sends:${citizen!.aifo}`), policy.code.sendsPerHour, 3600_000, now.getTime());
    if (!allowed) refuse('code-rate-limited', 'too many codes were sent to this citizen in the last hour');

    const request = { actId, codeId: command.codeId, channel, code };
    // Where the queue shares the event store's file, the task is written in the CodeIssued's own
    // transaction: no acknowledged code without its delivery, even after kill -9. Elsewhere it is
    // queued right after; a crash in between leaves the code pending until it expires, when it is
    // recorded as not delivered (see undeliveredExpiredCodes).
    const staged = stageDelivery(tasks, deliveryKey, request);
    let issued: LoadedAct & { state: ActState };
    try {
      issued = await this.run(actId, command, this.context(providerId, correlationId), known);
    } catch (error) {
      staged?.withdraw();
      throw error;
    }
    if (staged) return { codeId: command.codeId, codeSha256, expiresAt: command.expiresAt, attemptsLeft: issued.state.attemptsLeft, delivery: 'pending' };
    try {
      await requestDelivery(tasks, deliveryKey, request);
    } catch (error) {
      await this.run(
        actId,
        { type: 'RecordCodeDeliveryFailure', codeId: command.codeId, reason: 'the delivery could not be queued', attempts: 0, now: clock().toISOString() },
        this.context('system:notifier', correlationId),
      );
      throw error;
    }
    return { codeId: command.codeId, codeSha256, expiresAt: command.expiresAt, attemptsLeft: issued.state.attemptsLeft, delivery: 'pending' };
  }

  /** Compares the provider's SHA-512 of the code with the stored verifier; single use, bounded attempts. */
  async verifyCode(providerId: string, actId: string, codeId: string, codeSha512: string, correlationId?: string) {
    const known = await this.current(providerId, actId);
    const { events, state } = await this.run(
      actId,
      { type: 'VerifyCode', providerId, codeId, verifier: this.digest(codeSha512), receiptSalt: newReceiptSalt(), now: this.deps.clock().toISOString() },
      this.context(providerId, correlationId),
      known,
    );
    return { result: verificationResult(events, state), attemptsLeft: state.attemptsLeft, status: state.status as ActView['status'] };
  }

  /** Fails the act as expired when its lifetime has passed (idempotent). */
  async expire(actId: string): Promise<ActState> {
    return (await this.expireFrom(actId)).state;
  }

  /**
   * Records every code of the act still pending past its expiry as not delivered (idempotent);
   * answers how many it recorded. The expiry sweep calls it for codes whose delivery was lost.
   */
  async settleUndelivered(actId: string): Promise<number> {
    const loaded = await this.load(actId);
    if (loaded.state.status === 'none') return 0;
    const settled = await this.settleUndeliveredFrom(actId, loaded);
    return settled.recorded;
  }

  /** RecordCodeDeliveryFailure for each expired code still pending, deciding on `known` first. */
  private async settleUndeliveredFrom(actId: string, known: LoadedAct): Promise<LoadedAct & { recorded: number }> {
    let loaded = known;
    let recorded = 0;
    for (const codeId of undeliveredExpiredCodes(loaded.state, this.deps.clock().getTime())) {
      const now = this.deps.clock().toISOString();
      const result = await this.run(actId, { type: 'RecordCodeDeliveryFailure', codeId, reason: NOT_DELIVERED_BEFORE_EXPIRY, attempts: 0, now }, this.context(EXPIRY_ACTOR), loaded);
      recorded += result.events.length;
      loaded = { state: result.state, revision: result.revision };
    }
    return { ...loaded, recorded };
  }

  /** ExpireAct, deciding on `known` when the caller has just loaded the act. */
  private async expireFrom(actId: string, known?: LoadedAct): Promise<LoadedAct> {
    const { state, revision } = await this.run(actId, { type: 'ExpireAct', now: this.deps.clock().toISOString() }, this.context(EXPIRY_ACTOR), known);
    return { state, revision };
  }

  /** The act for the calling provider, expired first when due; another provider's act is not found. */
  private async current(providerId: string, actId: string): Promise<LoadedAct> {
    const loaded = await this.load(actId);
    const { state } = loaded;
    if (state.status === 'none' || state.providerId !== providerId) refuse('not-found', 'act not found');
    const expired = state.status === 'pending' && Date.parse(state.expiresAt) <= this.deps.clock().getTime() ? await this.expireFrom(actId, loaded) : loaded;
    // Like the act, a code whose delivery was lost is settled lazily: the provider never reads `pending` past its expiry.
    if (undeliveredExpiredCodes(expired.state, this.deps.clock().getTime()).length === 0) return expired;
    const { state: settled, revision } = await this.settleUndeliveredFrom(actId, expired);
    return { state: settled, revision };
  }

  async load(actId: string): Promise<LoadedAct> {
    return loadState(this.deps.store, streamNames.act(actId), actDecider, this.deps.codec);
  }

  private digest(value: string): string {
    return createHmac('sha256', this.deps.verifierKey).update(value).digest('hex');
  }
}

/** A fresh salt for the receipt's commitment, drawn here: the decider stays pure. */
export const newReceiptSalt = (): string => randomBytes(RECEIPT_SALT_BYTES).toString('base64url');

function methodsFor(citizen: Citizen): AuthorizationMethod[] {
  const methods: AuthorizationMethod[] = ['authentication'];
  if (citizen.phone && citizen.phoneVerified && citizen.phoneAllowed) methods.push('sms');
  if (citizen.mobileKeys.length > 0) methods.push('mobile-key');
  return methods;
}

export function view(state: ActState): ActView {
  return {
    actId: state.actId,
    status: state.status as ActView['status'],
    methods: state.methods,
    expiresAt: state.expiresAt,
    registeredAt: state.registeredAt,
    ...(state.method ? { method: state.method } : {}),
    ...(state.authorizedAt ? { authorizedAt: state.authorizedAt } : {}),
    ...(state.failure ? { failure: state.failure } : {}),
    codes: Object.entries(state.codes).map(([codeId, c]) => ({
      codeId,
      channel: c.channel,
      delivery: c.delivery,
      issuedAt: c.issuedAt,
      expiresAt: c.expiresAt,
      ...(c.deliveredAt ? { deliveredAt: c.deliveredAt } : {}),
      ...(c.failure ? { failure: c.failure } : {}),
    })),
  };
}

function maskPhone(phone: string): string {
  return phone.length <= 3 ? '***' : `${phone.slice(0, 4)} *** *** ${phone.slice(-3)}`;
}
