import { setTimeout as sleep } from 'node:timers/promises';
import { streamNames } from '../../../events/envelope.ts';
import { adminActor } from '../../../events/admin.ts';
import { currentSchemaVersion } from '../../../events/upcasters.ts';
import type { CertificatePurpose, ConnectionDecision, Environment, FilingEvent } from '../../../events/provider.ts';
import { providerDecider, type ProviderCommand, type ProviderState } from '../../../commands/provider.ts';
import { DomainError, refuse } from '../../../commands/errors.ts';
import { PROVIDER_APPLICATIONS, type ProviderApplicationDoc } from '../../../projections/provider-applications.ts';
import { WrongExpectedRevisionError, type EventStore } from '../../ports/event-store.ts';
import type { ReadModelStore } from '../../ports/read-model-store.ts';
import { backoffDelayMs, contentionExhausted, DEFAULT_RETRY, type CommandContext } from '../command-handler.ts';
import { newId } from '../ids.ts';
import type { ActingAdmin, AdminChanges } from '../admins/changes.ts';
import type { ChangeEffect, ChangeKind } from '../admins/change-kinds.ts';
import type { ProviderDirectory } from './provider-directory.ts';
import { CertificateRefusedError, checkCertificate } from './certificates.ts';

/** The four-eyes kinds of onboarding: both open production to a provider, so a second admin confirms. */
export const PROVIDER_CONNECTION_DECISION = 'provider-connection-decision';
export const PROVIDER_PRODUCTION_ACTIVATION = 'provider-production-activation';

export interface ProviderOnboardingDeps {
  store: EventStore;
  providers: ProviderDirectory;
  readModels: ReadModelStore;
  /** Read-your-writes for the applications queue. */
  waitForReadModels: (position: number, timeoutMs: number) => Promise<void>;
  changes: AdminChanges;
  /** This ledger's environment: the only one applications are filed and decided for here. */
  environment: Environment;
  clock: () => Date;
}

export interface ApplicationInput {
  owner: { name: string; registrationNumber: string };
  technicalContact: { name: string; email: string };
  skipSimulator: boolean;
}

export interface DecisionInput {
  reason: string;
  outOfOrderReason?: string;
}

export type AwaitingConfirmation = { status: 'awaiting-confirmation'; changeId: string; expiresAt: string };

/**
 * Admins taking a provider through onboarding in this ledger's environment: applications in filing
 * order, support, certificates, and the two production steps that need four eyes. Every write is a
 * command on the provider's stream (commands/provider-onboarding.ts decides).
 *
 * The filing sequence is ledger-wide, so it cannot come from one provider's stream. Each filing first
 * appends one event to the `onboarding-filings` stream at the revision it read; the store refuses a
 * second writer at the same revision, which reads again and takes the next number. The stream's
 * revision is therefore the counter: unique, increasing, durable, and correct across processes.
 * A filing that takes a number and is then refused (or crashes) leaves a gap, which the order rule
 * does not mind: it compares sequences, never counts them. One window stays: between taking a number
 * and recording the application, a later-numbered filing may be recorded first, and a decision in
 * that moment does not yet see the earlier one as waiting.
 */
export class ProviderOnboarding {
  constructor(private readonly deps: ProviderOnboardingDeps) {}

  get environment(): Environment {
    return this.deps.environment;
  }

  async file(providerId: string, input: ApplicationInput, context: CommandContext): Promise<{ applicationId: string; filingSequence: number; state: ProviderState }> {
    const provider = await this.deps.providers.get(providerId, 0);
    if (!provider.exists) refuse('not-found', 'provider not found');
    const applicationId = newId();
    const command = (filingSequence: number): ProviderCommand => ({
      type: 'FileApplication',
      providerId,
      applicationId,
      environment: this.deps.environment,
      owner: input.owner,
      technicalContact: input.technicalContact,
      skipSimulator: input.skipSimulator,
      filingSequence,
      now: context.now,
    });
    // Decided once before a number is taken, so a refused filing (one already waiting) burns none.
    providerDecider.decide(command(Number.MAX_SAFE_INTEGER), provider);
    const filingSequence = await this.takeFilingNumber(providerId, applicationId, context);
    const state = await this.deps.providers.execute(providerId, command(filingSequence), context);
    const position = await this.deps.store.headPosition();
    await this.deps.waitForReadModels(position, 2_000).catch(() => undefined);
    return { applicationId, filingSequence, state };
  }

  async approve(applicationId: string, input: DecisionInput, context: CommandContext): Promise<ProviderState> {
    return this.decide('ApproveApplication', applicationId, input, context);
  }

  async reject(applicationId: string, input: DecisionInput, context: CommandContext): Promise<ProviderState> {
    return this.decide('RejectApplication', applicationId, input, context);
  }

  /** Applications of this environment, in filing order; `undecided` only when asked. */
  async applications(status?: ProviderApplicationDoc['status']): Promise<ProviderApplicationDoc[]> {
    return this.deps.readModels.find<ProviderApplicationDoc>(PROVIDER_APPLICATIONS, {
      where: { environment: this.deps.environment, ...(status ? { status } : {}) },
      sort: [{ field: 'filingSequence', direction: 'asc' }],
      limit: 1000,
    });
  }

  async extendSupport(providerId: string, supportUntil: string, context: CommandContext): Promise<ProviderState> {
    await this.existing(providerId);
    return this.deps.providers.execute(providerId, { type: 'ExtendSupport', environment: this.deps.environment, supportUntil, by: context.actor, now: context.now }, context);
  }

  /** Checks the PEM (certificates.ts) and registers what it says for `purpose` in this environment. */
  async registerCertificate(providerId: string, purpose: CertificatePurpose, pem: string, context: CommandContext): Promise<{ certificateId: string; state: ProviderState }> {
    await this.existing(providerId);
    let parsed;
    try {
      parsed = checkCertificate(pem, { now: Date.parse(context.now), purpose });
    } catch (error) {
      // The same codes as the certificate module's reasons: one vocabulary from parsing to problem.
      if (error instanceof CertificateRefusedError) throw new DomainError(error.reason, error.message);
      throw error;
    }
    const certificateId = newId();
    const { thumbprintSha256, subject, notBefore, notAfter, profile, publicJwk } = parsed;
    const certificate = { certificateId, purpose, thumbprintSha256, subject, notBefore, notAfter, profile: { ...profile }, publicJwk: { ...publicJwk } };
    const state = await this.deps.providers.execute(providerId, { type: 'RegisterCertificate', environment: this.deps.environment, certificate, now: context.now }, context);
    return { certificateId, state };
  }

  async revokeCertificate(providerId: string, certificateId: string, reason: string, context: CommandContext): Promise<ProviderState> {
    await this.existing(providerId);
    return this.deps.providers.execute(providerId, { type: 'RevokeCertificate', certificateId, reason, now: context.now }, context);
  }

  /** Proposes the connection decision; it is recorded when a second admin confirms it. */
  async proposeConnectionDecision(by: ActingAdmin, providerId: string, decision: ConnectionDecision, reason: string): Promise<AwaitingConfirmation> {
    const now = this.deps.clock().toISOString();
    // Refused now rather than at confirmation, when the step could not be taken anyway.
    this.dryRun(await this.existing(providerId), { type: 'DecideConnection', decision, by: adminActor(by.adminId), reason, now });
    return this.propose(by, PROVIDER_CONNECTION_DECISION, { providerId, decision, reason });
  }

  async proposeProductionActivation(by: ActingAdmin, providerId: string): Promise<AwaitingConfirmation> {
    const now = this.deps.clock().toISOString();
    this.dryRun(await this.existing(providerId), { type: 'ActivateProduction', by: adminActor(by.adminId), now });
    return this.propose(by, PROVIDER_PRODUCTION_ACTIVATION, { providerId });
  }

  async state(providerId: string): Promise<ProviderState> {
    return this.existing(providerId);
  }

  /** The four-eyes kinds the composition root registers. */
  changeKinds(): ChangeKind[] {
    return [
      {
        kind: PROVIDER_CONNECTION_DECISION,
        requiredRole: 'onboarding',
        apply: async (payload, effect) => {
          const providerId = String(payload.providerId);
          const decision = payload.decision === 'approve' ? 'approve' : 'refuse';
          const state = await this.applyConfirmed(providerId, effect, (s) => s.onboarding.connection?.decidedAt === effect.now, {
            type: 'DecideConnection',
            decision,
            by: effect.actor,
            reason: String(payload.reason),
            now: effect.now,
          });
          return { providerId, connection: state.onboarding.connection ?? null };
        },
      },
      {
        kind: PROVIDER_PRODUCTION_ACTIVATION,
        requiredRole: 'onboarding',
        apply: async (payload, effect) => {
          const providerId = String(payload.providerId);
          const state = await this.applyConfirmed(providerId, effect, (s) => s.onboarding.activatedAt !== undefined, { type: 'ActivateProduction', by: effect.actor, now: effect.now });
          return { providerId, activatedAt: state.onboarding.activatedAt ?? null };
        },
      },
    ];
  }

  private async applyConfirmed(providerId: string, effect: ChangeEffect, done: (state: ProviderState) => boolean, command: ProviderCommand): Promise<ProviderState> {
    if (effect.retry) {
      // An earlier attempt may have recorded it already: the stream tells.
      const state = await this.deps.providers.get(providerId, 0);
      if (done(state)) return state;
    }
    return this.deps.providers.execute(providerId, command, {
      actor: effect.actor,
      now: effect.now,
      correlationId: effect.correlationId,
      causationId: effect.causationId,
      idempotencyKey: `change-${effect.changeId}`,
    });
  }

  private async decide(type: 'ApproveApplication' | 'RejectApplication', applicationId: string, input: DecisionInput, context: CommandContext): Promise<ProviderState> {
    // The order rule reads the read model: let it catch up with everything filed before this request.
    await this.deps.waitForReadModels(await this.deps.store.headPosition(), 2_000).catch(() => undefined);
    const application = await this.deps.readModels.get<ProviderApplicationDoc>(PROVIDER_APPLICATIONS, applicationId);
    if (!application || application.environment !== this.deps.environment) refuse('application-not-filed', `application ${applicationId} was not filed here`);
    const earliest = (await this.applications('undecided'))[0];
    const state = await this.deps.providers.execute(
      application.providerId,
      {
        type,
        applicationId,
        by: context.actor,
        reason: input.reason,
        ...(input.outOfOrderReason !== undefined ? { outOfOrderReason: input.outOfOrderReason } : {}),
        earliestUndecidedFilingSequence: earliest ? earliest.filingSequence : null,
        now: context.now,
      },
      context,
    );
    await this.deps.waitForReadModels(await this.deps.store.headPosition(), 2_000).catch(() => undefined);
    return state;
  }

  private async propose(by: ActingAdmin, kind: string, payload: Record<string, unknown>): Promise<AwaitingConfirmation> {
    const proposed = await this.deps.changes.propose(by, kind, payload);
    await this.deps.waitForReadModels(proposed.position, 2_000).catch(() => undefined);
    return { status: 'awaiting-confirmation', changeId: proposed.changeId, expiresAt: proposed.expiresAt };
  }

  private dryRun(state: ProviderState, command: ProviderCommand): void {
    providerDecider.decide(command, state);
  }

  private async existing(providerId: string): Promise<ProviderState> {
    const state = await this.deps.providers.get(providerId, 0);
    if (!state.exists) refuse('not-found', 'provider not found');
    return state;
  }

  private async takeFilingNumber(providerId: string, applicationId: string, context: CommandContext): Promise<number> {
    const streamName = streamNames.onboardingFilings;
    for (let attempt = 1; attempt <= DEFAULT_RETRY.attempts; attempt++) {
      const revision = (await this.deps.store.readStream(streamName)).length - 1;
      const taken: FilingEvent = { type: 'FilingNumberTaken', data: { providerId, applicationId, environment: this.deps.environment, filingSequence: revision + 2 } };
      const metadata = { eventId: newId(), correlationId: context.correlationId ?? newId(), occurredAt: context.now, actor: context.actor, schemaVersion: currentSchemaVersion(taken.type) };
      try {
        await this.deps.store.append(streamName, [{ type: taken.type, data: taken.data, metadata }], revision < 0 ? 'no-stream' : revision);
        return revision + 2;
      } catch (error) {
        if (!(error instanceof WrongExpectedRevisionError)) throw error;
        await sleep(backoffDelayMs(DEFAULT_RETRY, attempt));
      }
    }
    throw contentionExhausted(streamName, DEFAULT_RETRY.attempts);
  }
}
