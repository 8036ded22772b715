import { streamNames } from '../../../events/envelope.ts';
import type { CertificatePurpose, Environment, ProviderEvent } from '../../../events/provider.ts';
import { providerDecider, type ProviderState } from '../../../commands/provider.ts';
import { refuse } from '../../../commands/errors.ts';
import type { EventStore } from '../../ports/event-store.ts';
import { plainCodec } from '../command-handler.ts';
import type { ProviderDirectory } from './provider-directory.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
/** A support window is worth an admin's look this many days before it ends (and after). */
export const SUPPORT_ATTENTION_DAYS = 7;
/** How far ahead expiring certificates are looked for unless the caller says otherwise. */
export const CERTIFICATE_ATTENTION_DAYS = 30;

/** One event of a provider's stream as an admin reads it: what, when, by whom, and its plain facts. */
export interface TimelineEntry {
  type: string;
  /** When the command that caused it was decided (the event's metadata). */
  at: string;
  actor: string;
  /** A chosen few fields per event type, as text; never keys or anything not named here. */
  summary: Record<string, string>;
}

export interface ProviderTimeline {
  providerId: string;
  name: string;
  events: TimelineEntry[];
}

export interface SupportEnding {
  providerId: string;
  name: string;
  environment: Environment;
  grantedAt: string;
  supportUntil: string;
  /** The window has ended already. */
  ended: boolean;
}

export interface CertificateExpiring {
  providerId: string;
  name: string;
  certificateId: string;
  purpose: CertificatePurpose;
  environment: Environment;
  subject: string;
  notAfter: string;
  thumbprintSha256: string;
  /** It has expired already. */
  expired: boolean;
}

export interface OnboardingAttention {
  now: string;
  supportWithinDays: number;
  certificatesWithinDays: number;
  /** Support windows in this environment ending within `supportWithinDays` or already ended, soonest first. */
  supportEnding: SupportEnding[];
  /** Unrevoked certificates of this environment expiring within `certificatesWithinDays` or expired, soonest first. */
  certificatesExpiring: CertificateExpiring[];
}

export interface OnboardingOverviewDeps {
  store: EventStore;
  providers: ProviderDirectory;
  environment: Environment;
  clock: () => Date;
}

/**
 * What the onboarding admins look at rather than change: a provider's stream as a timeline, and
 * what runs out soon (support windows, certificates) across every provider, by the ledger's clock.
 */
export class OnboardingOverview {
  private readonly codec = plainCodec<ProviderEvent>();

  constructor(private readonly deps: OnboardingOverviewDeps) {}

  /** The provider's events in stream order; refused as `not-found` when the stream is empty. */
  async timeline(providerId: string): Promise<ProviderTimeline> {
    const recorded = await this.deps.store.readStream(streamNames.provider(providerId));
    if (recorded.length === 0) refuse('not-found', 'provider not found');
    let state: ProviderState = providerDecider.initialState();
    const events: TimelineEntry[] = [];
    for (const r of recorded) {
      const event = await this.codec.decode(r);
      state = providerDecider.evolve(state, event);
      events.push({ type: event.type, at: r.metadata.occurredAt, actor: r.metadata.actor, summary: summaryOf(event) });
    }
    return { providerId, name: state.name, events };
  }

  /** Support windows and certificates needing an admin soon, as of the ledger's clock. */
  async attention(certificatesWithinDays = CERTIFICATE_ATTENTION_DAYS): Promise<OnboardingAttention> {
    const now = this.deps.clock();
    const supportLimit = now.getTime() + SUPPORT_ATTENTION_DAYS * DAY_MS;
    const certificateLimit = now.getTime() + certificatesWithinDays * DAY_MS;
    const environment = this.deps.environment;
    const supportEnding: SupportEnding[] = [];
    const certificatesExpiring: CertificateExpiring[] = [];
    for (const provider of await this.deps.providers.list()) {
      const { providerId, name } = provider;
      const access = provider.onboarding.access[environment];
      if (access?.supportUntil != null) {
        const until = Date.parse(access.supportUntil);
        if (until <= supportLimit) supportEnding.push({ providerId, name, environment, grantedAt: access.grantedAt, supportUntil: access.supportUntil, ended: until <= now.getTime() });
      }
      for (const c of Object.values(provider.onboarding.certificates)) {
        if (c.revoked || c.environment !== environment) continue;
        const notAfter = Date.parse(c.notAfter);
        if (notAfter > certificateLimit) continue;
        certificatesExpiring.push({
          providerId,
          name,
          certificateId: c.certificateId,
          purpose: c.purpose,
          environment: c.environment,
          subject: c.subject,
          notAfter: c.notAfter,
          thumbprintSha256: c.thumbprintSha256,
          expired: notAfter <= now.getTime(),
        });
      }
    }
    supportEnding.sort((a, b) => Date.parse(a.supportUntil) - Date.parse(b.supportUntil));
    certificatesExpiring.sort((a, b) => Date.parse(a.notAfter) - Date.parse(b.notAfter));
    return { now: now.toISOString(), supportWithinDays: SUPPORT_ATTENTION_DAYS, certificatesWithinDays, supportEnding, certificatesExpiring };
  }
}

/** Fields left undefined, null or empty are dropped; everything else becomes text. */
function facts(fields: Record<string, string | number | boolean | null | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(fields)) if (value !== undefined && value !== null && value !== '') out[key] = String(value);
  return out;
}

/**
 * The facts of each event type an admin follows a provider by. Listed, never copied wholesale: a key
 * appears by its kid only, and a type added later shows with no facts until it is named here.
 */
function summaryOf(event: ProviderEvent): Record<string, string> {
  switch (event.type) {
    case 'ProviderRegistered':
      return facts({ name: event.data.name, keys: event.data.keys.map((k) => k.kid).join(', '), returnUrls: event.data.returnUrls.join(' ') });
    case 'ProviderKeyAdded':
      return facts({ kid: event.data.key.kid });
    case 'ProviderKeyRevoked':
      return facts({ kid: event.data.kid });
    case 'ProviderReturnUrlsChanged':
      return facts({ returnUrls: event.data.returnUrls.join(' ') });
    case 'ProviderSuspended':
      return facts({ reason: event.data.reason });
    case 'ProviderReinstated':
      return {};
    case 'ApplicationFiled':
      return facts({
        applicationId: event.data.applicationId,
        environment: event.data.environment,
        filingSequence: event.data.filingSequence,
        owner: event.data.owner.name,
        registrationNumber: event.data.owner.registrationNumber,
        technicalContact: event.data.technicalContact.name,
        skipSimulator: event.data.skipSimulator,
      });
    case 'ApplicationApproved':
    case 'ApplicationRejected':
      return facts({ applicationId: event.data.applicationId, by: event.data.by, reason: event.data.reason, outOfOrderReason: event.data.outOfOrderReason });
    case 'EnvironmentAccessGranted':
      return facts({ environment: event.data.environment, supportUntil: event.data.supportUntil });
    case 'SupportExtended':
      return facts({ environment: event.data.environment, supportUntil: event.data.supportUntil, by: event.data.by });
    case 'CertificateRegistered':
      return facts({
        certificateId: event.data.certificateId,
        purpose: event.data.purpose,
        environment: event.data.environment,
        subject: event.data.subject,
        notAfter: event.data.notAfter,
        thumbprintSha256: event.data.thumbprintSha256,
      });
    case 'CertificateRevoked':
      return facts({ certificateId: event.data.certificateId, reason: event.data.reason });
    case 'ConformancePassed':
      return facts({ environment: event.data.environment });
    case 'ConformanceObserved':
      return facts({ environment: event.data.environment, item: event.data.item });
    case 'ConnectionDecided':
      return facts({ decision: event.data.decision, by: event.data.by, reason: event.data.reason });
    case 'ProductionActivated':
      return facts({ by: event.data.by });
    default:
      return {};
  }
}
