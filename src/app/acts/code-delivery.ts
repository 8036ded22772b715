import { randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import { streamNames } from '../../../events/envelope.ts';
import type { ActEvent, CodeChannel } from '../../../events/act.ts';
import { actDecider, type ActCommand, type ActState, type CodeState } from '../../../commands/act.ts';
import type { EventStore } from '../../ports/event-store.ts';
import { DeliveryError, type CodeMessage, type Notifier } from '../../ports/notifier.ts';
import type { Citizen, CitizenRegistry, MobileKeyDevice } from '../../ports/citizen-registry.ts';
import { silentMeter, type LedgerMeter } from '../../ports/metrics.ts';
import type { StagedTask, Task, TaskOutcome, TaskPayload, TaskQueue } from '../../ports/task-queue.ts';
import { handleCommand, loadState, type EventCodec } from '../command-handler.ts';
import { seal, unseal, type SealedPart } from './act-sealing.ts';
import type { RegistryAudit } from '../citizens/registry-audit.ts';
import { codeText, codeTextLanguage } from './code-text.ts';
import { DEFAULT_DELIVERY_RETRY, nextDeliveryAttempt, type DeliveryRetryPolicy } from './delivery-retry.ts';

/** The task queue codes travel through; one task per code, its id the code's id. */
export const CODE_DELIVERY_QUEUE = 'code-delivery';

/** Runs a task for a code the store does not know gets before it is dropped. */
const UNKNOWN_CODE_RUNS = 5;

/** Who records what became of a delivery. */
export const NOTIFIER_ACTOR = 'system:notifier';

/** A delivery to request: ids, and the code itself, which leaves this process only sealed. */
export interface DeliveryRequest {
  actId: string;
  codeId: string;
  channel: CodeChannel;
  code: string;
}

// The sealed code is bound to its act and code: a payload moved to another task does not open.
const sealedAs = (codeId: string) => `code-delivery:${codeId}`;

/**
 * Puts a code's delivery on the queue. The payload carries ids and the code sealed (AES-256-GCM)
 * under the delivery key, so Redis never holds it in a usable form; the destination and the text
 * are read again by the worker.
 */
export async function requestDelivery(tasks: TaskQueue, deliveryKey: Buffer, request: DeliveryRequest): Promise<void> {
  await tasks.enqueue(CODE_DELIVERY_QUEUE, request.codeId, deliveryPayload(deliveryKey, request));
}

/**
 * Stages the delivery to be stored with the next append (the code's CodeIssued) where the queue can
 * share the event store's transaction; undefined where it cannot (then `requestDelivery` after it).
 */
export function stageDelivery(tasks: TaskQueue, deliveryKey: Buffer, request: DeliveryRequest): StagedTask | undefined {
  return tasks.stageWithNextAppend?.(CODE_DELIVERY_QUEUE, request.codeId, deliveryPayload(deliveryKey, request));
}

function deliveryPayload(deliveryKey: Buffer, request: DeliveryRequest): TaskPayload {
  const { iv, ct, tag } = seal(deliveryKey, streamNames.act(request.actId), sealedAs(request.codeId), { code: request.code });
  return { actId: request.actId, codeId: request.codeId, channel: request.channel, sealedCode: `${iv}.${ct}.${tag}` };
}

/** The device codes go to: the one registered last (the list's order when no time is recorded). */
export function newestDevice(devices: readonly MobileKeyDevice[]): MobileKeyDevice | undefined {
  return newestFirst(devices)[0];
}

function newestFirst(devices: readonly MobileKeyDevice[]): MobileKeyDevice[] {
  return devices
    .map((device, index) => ({ device, index }))
    .sort((a, b) => (b.device.registeredAt ?? '').localeCompare(a.device.registeredAt ?? '') || b.index - a.index)
    .map(({ device }) => device);
}

export interface CodeDeliveryDeps {
  tasks: TaskQueue;
  store: EventStore;
  codec: EventCodec<ActEvent>;
  registry: CitizenRegistry;
  /** Records a device the push service dropped as removed by `system:notifier`; absent: not recorded (tests of delivery alone). */
  registryAudit?: Pick<RegistryAudit, 'mobileKeyRemoved'>;
  /** One notifier per channel; each send is one attempt. */
  notifiers: Record<CodeChannel, Notifier>;
  /** The home country (LEDGER_HOME_COUNTRY): its persons read their codes' texts in Czech, everyone else in English. */
  homeCountry: string;
  deliveryKey: Buffer;
  clock: () => Date;
  retry?: DeliveryRetryPolicy;
  meter?: LedgerMeter;
  logger?: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** In [0, 1): the jitter's draw (tests pin it). */
  random?: () => number;
}

type Ending = { delivered: true; attempts: number } | { delivered: false; reason: string; attempts: number } | { retryInMs: number };

/**
 * The delivery worker: runs each code-delivery task where projections and jobs run. Every run
 * reads the act and the registry again, makes one attempt (more for a Mobile Key whose newest
 * device is gone), and either records the outcome on the act or asks the queue to run it again.
 * Log lines carry ids and reasons, never the code, the phone number or a token.
 */
export class CodeDelivery {
  private readonly retry: DeliveryRetryPolicy;
  private readonly meter: LedgerMeter;
  private readonly random: () => number;

  constructor(private readonly deps: CodeDeliveryDeps) {
    this.retry = deps.retry ?? DEFAULT_DELIVERY_RETRY;
    this.meter = deps.meter ?? silentMeter;
    this.random = deps.random ?? (() => randomInt(0, 2 ** 32) / 2 ** 32);
  }

  /** Starts taking delivery tasks in this process. */
  start(): void {
    this.deps.tasks.process(CODE_DELIVERY_QUEUE, (task) => this.run(task));
  }

  /** One run of one delivery task: what the queue calls for each run. */
  async run(task: Task): Promise<TaskOutcome> {
    const actId = String(task.payload.actId);
    const codeId = String(task.payload.codeId);
    const channel = task.payload.channel as CodeChannel;
    const where = { actId, codeId, channel, run: task.run };
    const { state } = await loadState(this.deps.store, streamNames.act(actId), actDecider, this.deps.codec);
    const code = state.codes[codeId];
    if (state.status === 'none' || !code) {
      // The task is queued after its CodeIssued is stored, so this store should know it: a worker on
      // another store sharing the queue may have taken it. Let it go round a few times, then drop it.
      if (task.run < UNKNOWN_CODE_RUNS) return { retryInMs: 1_000 };
      this.deps.logger?.error(where, 'code delivery task for a code this store does not know; dropped');
      return 'done';
    }
    // Already recorded (a run again after a crash): nothing to do.
    if (code.delivery !== 'pending') return 'done';

    // Earlier runs each made an attempt (at least one); this run's come on top.
    const before = task.run - 1;
    const ending = await this.attempt(state, code, codeId, task, before);
    if ('retryInMs' in ending) {
      this.meter.deliveryRetried(channel);
      this.deps.logger?.info({ ...where, retryInMs: ending.retryInMs }, 'code delivery attempt failed; trying again');
      return { retryInMs: ending.retryInMs };
    }
    const now = this.deps.clock().toISOString();
    const command: ActCommand = ending.delivered
      ? { type: 'RecordCodeDelivery', codeId, attempts: Math.max(1, ending.attempts), now }
      : { type: 'RecordCodeDeliveryFailure', codeId, reason: ending.reason, attempts: ending.attempts, now };
    await handleCommand({
      store: this.deps.store,
      streamName: streamNames.act(actId),
      decider: actDecider,
      command,
      context: { actor: NOTIFIER_ACTOR, now, correlationId: codeId },
      codec: this.deps.codec,
    });
    if (ending.delivered) this.deps.logger?.info({ ...where, attempts: ending.attempts }, 'code delivered');
    else this.deps.logger?.warn({ ...where, attempts: ending.attempts, reason: ending.reason }, 'code delivery failed');
    return 'done';
  }

  private async attempt(state: ActState, code: CodeState, codeId: string, task: Task, before: number): Promise<Ending> {
    const now = this.deps.clock();
    const fail = (reason: string, attempts = before): Ending => ({ delivered: false, reason, attempts });
    // Nobody can use this code any more: sending it would only confuse the citizen.
    if (state.status !== 'pending') return fail(`not sent: the act is ${state.status}`);
    if (code.superseded) return fail('not sent: a newer code was issued');
    if (now.getTime() >= Date.parse(code.expiresAt)) return fail('code expired before it could be delivered');

    const secret = this.openCode(state.actId, codeId, task);
    if (secret === undefined) return fail('the sealed code cannot be opened here (delivery key differs)');
    const citizen = state.aifo ? await this.deps.registry.get(state.aifo) : undefined;
    if (!citizen) return fail('the citizen is no longer in the registry');

    const message = (to: string, device?: MobileKeyDevice): CodeMessage => ({
      messageId: codeId,
      channel: code.channel,
      aifo: citizen.aifo,
      actId: state.actId,
      codeId,
      to,
      ...(device ? { device } : {}),
      code: secret,
      text: codeText({
        providerName: state.providerName,
        actName: state.name ?? '',
        code: secret,
        ttlMs: Date.parse(code.expiresAt) - Date.parse(code.issuedAt),
        channel: code.channel,
        language: codeTextLanguage(citizen.country, this.deps.homeCountry),
      }),
      expiresAt: code.expiresAt,
    });
    if (code.channel === 'sms') {
      if (!citizen.phone || !citizen.phoneVerified || !citizen.phoneAllowed) return fail('no verified phone allowed for codes is on file');
      const ending = await this.sendOnce(message(citizen.phone), task, before, code.expiresAt);
      return 'unregistered' in ending ? fail('unregistered', before + 1) : ending;
    }
    return this.sendToDevices(citizen, message, task, before, code.expiresAt, { actId: state.actId, codeId });
  }

  /** Newest device first; a device the push service no longer knows leaves the registry and the next one is tried. */
  private async sendToDevices(citizen: Citizen, message: (to: string, device?: MobileKeyDevice) => CodeMessage, task: Task, before: number, expiresAt: string, ids: { actId: string; codeId: string }): Promise<Ending> {
    let attempts = before;
    for (const device of newestFirst(citizen.mobileKeys)) {
      const ending = await this.sendOnce(message(device.deviceId, device), task, attempts, expiresAt);
      attempts += 1;
      if (!('unregistered' in ending)) return ending;
      if (await this.deps.registry.removeMobileKey(citizen.aifo, device.deviceId, 'unregistered', this.deps.clock().toISOString())) {
        await this.deps.registryAudit?.mobileKeyRemoved(citizen.aifo, device.deviceId, 'unregistered', NOTIFIER_ACTOR);
      }
      this.deps.logger?.warn({ ...ids, deviceId: device.deviceId }, 'mobile key device unregistered by the push service; removed from the registry');
    }
    return { delivered: false, reason: 'unregistered', attempts: Math.max(attempts, before) };
  }

  private async sendOnce(message: CodeMessage, task: Task, before: number, expiresAt: string): Promise<Ending | { unregistered: true }> {
    const attempt = before + 1;
    try {
      await this.deps.notifiers[message.channel].send(message);
      return { delivered: true, attempts: attempt };
    } catch (error) {
      const failed =
        error instanceof DeliveryError
          ? error
          : // Not the port's error: a fault of the adapter, worth another try within the code's lifetime.
            new DeliveryError('retryable', 'the notifier failed unexpectedly');
      if (failed.kind === 'unregistered') return { unregistered: true };
      this.deps.logger?.info({ actId: message.actId, codeId: message.codeId, channel: message.channel, run: task.run, attempt, kind: failed.kind, reason: failed.reason }, 'code delivery attempt failed');
      const decision = nextDeliveryAttempt(
        { kind: failed.kind, reason: failed.reason, ...(failed.retryAfterMs !== undefined ? { retryAfterMs: failed.retryAfterMs } : {}) },
        attempt,
        this.deps.clock().getTime(),
        Date.parse(expiresAt),
        this.random(),
        this.retry,
      );
      return decision.retry ? { retryInMs: decision.delayMs } : { delivered: false, reason: decision.reason, attempts: attempt };
    }
  }

  private openCode(actId: string, codeId: string, task: Task): string | undefined {
    const [iv, ct, tag] = String(task.payload.sealedCode ?? '').split('.');
    if (!iv || !ct || !tag) return undefined;
    try {
      const part: SealedPart = { alg: 'A256GCM', iv, ct, tag };
      const opened = unseal(this.deps.deliveryKey, streamNames.act(actId), sealedAs(codeId), part);
      return typeof opened.code === 'string' ? opened.code : undefined;
    } catch {
      return undefined;
    }
  }
}
