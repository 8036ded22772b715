import type { TransparencyLog } from './audit/transparency-log.ts';
import type { Logger } from 'pino';
import type { LedgerConfig } from '../config.ts';
import type { EventStore } from '../ports/event-store.ts';
import type { ReplayGuard } from '../ports/replay-guard.ts';
import type { AccessTokens } from './providers/access-tokens.ts';
import type { ClientAssertions } from './providers/client-assertions.ts';
import type { ActAsGrants } from './providers/act-as-grants.ts';
import type { LedgerKeys } from './ledger-keys.ts';
import type { ProviderDirectory } from './providers/provider-directory.ts';
import type { ActEvent } from '../../events/act.ts';
import type { CitizenRegistry } from '../ports/citizen-registry.ts';
import type { KeyVault } from '../ports/key-vault.ts';
import type { ActService } from './acts/act-service.ts';
import type { ActReceipts } from './acts/receipts.ts';
import type { ReceiptVerification } from './acts/receipt-check.ts';
import type { EventCodec } from './command-handler.ts';
import type { Pseudonyms } from './citizens/pseudonyms.ts';
import type { IdentityProvider, SimulatedIdentityPages } from '../ports/identity-provider.ts';
import type { SimulatedPhones } from '../ports/notifier.ts';
import type { AuthorizationService } from './acts/authorization-by-authentication.ts';
import type { JobScheduler } from '../ports/job-scheduler.ts';
import type { ReadModelStore } from '../ports/read-model-store.ts';
import type { Projector } from './projecting/projection-runner.ts';
import type { ProjectionRole } from './projecting/leased-projections.ts';
import type { CaptchaService } from './citizens/captcha.ts';
import type { PublicVerification } from './citizens/public-verification.ts';
import type { CitizenLog } from './citizens/citizen-log.ts';
import type { PortalLogin } from './citizens/portal-login.ts';
import type { PortalSessions } from './citizens/portal-session.ts';
import type { TestPersonDirectory } from './citizens/test-persons.ts';
import type { CitizenAdmin } from './citizens/citizen-admin.ts';
import type { RegistryAudit } from './citizens/registry-audit.ts';
import type { FailedAuthorizations } from './retention/failed-authorizations.ts';
import type { FailedAttempts } from './citizens/failed-attempts.ts';
import type { RetentionStream } from './retention/retention-stream.ts';
import type { RetentionPurge } from './retention/retention-purge.ts';
import type { ActExpirySweep } from './acts/act-expiry-sweep.ts';
import type { BackgroundJobs } from './retention/background-jobs.ts';
import type { LedgerMeter, OperatorMetrics } from '../ports/metrics.ts';
import type { AdminDirectory } from './admins/admin-directory.ts';
import type { AdminActivity } from './admins/admin-activity.ts';
import type { AdminChanges } from './admins/changes.ts';
import type { RetentionPolicyChanges } from './retention/retention-policy-change.ts';
import type { Conformance } from './providers/conformance.ts';
import type { ProviderOnboarding } from './providers/onboarding.ts';
import type { OnboardingOverview } from './providers/onboarding-overview.ts';
import type { RecordTransfer } from './providers/record-transfer.ts';

/** Everything the HTTP edge and the CLI need, built once by the composition root. */
export interface LedgerServices {
  config: LedgerConfig;
  logger: Logger;
  eventStore: EventStore;
  replayGuard: ReplayGuard;
  keys: LedgerKeys;
  providers: ProviderDirectory;
  accessTokens: AccessTokens;
  clientAssertions: ClientAssertions;
  /** Who gets an ActAs token in this environment, and over which client certificate (act-as-grants.ts). */
  actAsGrants: ActAsGrants;
  /** Named admins: their roles, keys and suspension (`admin-<adminId>` streams). */
  admins: AdminDirectory;
  /** Admin access tokens: the same machinery as ActAs tokens, with their own type and audience. */
  adminTokens: AccessTokens;
  /** What admins did, newest first (the admin-activity read model). */
  adminActivity: AdminActivity;
  keyVault: KeyVault;
  /** Seals and unseals the personal fields of act events. */
  actCodec: EventCodec<ActEvent>;
  citizens: CitizenRegistry;
  pseudonyms: Pseudonyms;
  acts: ActService;
  /** The simulated phones' messages (simulator environment with the outbox notifier only). */
  outbox?: SimulatedPhones;
  /** Where citizens authenticate again (LEDGER_IDENTITY_PROVIDER). */
  identityProvider: IdentityProvider;
  /** The simulated identity node, when it is the identity provider (its pages need it). */
  identitySimulator?: SimulatedIdentityPages;
  /** The authorization SeP: authorization of acts by authentication. */
  authorization: AuthorizationService;
  /** Repeating background jobs (the retention purge): in-process timers, or BullMQ shared by every process (LEDGER_JOBS). */
  jobs: JobScheduler;
  /** The read models the projections keep (LEDGER_READ_MODELS). */
  readModels: ReadModelStore;
  /** Keeps the read models up to date; `waitFor(position)` gives read-your-writes. */
  projections: Projector;
  /** Whether this process keeps the projections (holds the lease), stands by, or never does (LEDGER_PROJECTIONS=off). */
  projectionRole: () => { role: ProjectionRole; fencingToken?: number };
  /** The public verification's single-use ALTCHA captcha. */
  captcha: CaptchaService;
  /** Looks a document hash up in the verification index. */
  verification: PublicVerification;
  /** A citizen's entries in the central log store (CUL). */
  citizenLog: CitizenLog;
  /** Citizen sign-in to the portal through the identity provider. */
  portalLogin: PortalLogin;
  /** Signed-in citizens' portal sessions, and signing out for good. */
  portalSessions: PortalSessions;
  /** The simulator's test persons for its admin API and simulated phones. */
  testPersons: TestPersonDirectory;
  /** The operator's citizen registry (every environment): persons, their devices, the SePP for support, bulk import lines. */
  citizenAdmin: CitizenAdmin;
  /** Records registry changes in the log, by whom, with no personal data (the CLI's import summary too). */
  registryAudit: RegistryAudit;
  /** Failed authorizations kept until the retention erases them, for admins and providers. */
  failedAuthorizations: FailedAuthorizations;
  /** A person's own failed attempts in the portal, and their "this was not me" reports. */
  failedAttempts: FailedAttempts;
  /** Conformance in the simulator and integration: the checklist a provider's own traffic fills, and ConformancePassed once it is full. */
  conformance: Conformance;
  /** The retention policy in force and the record of purges (the `retention` stream). */
  retention: RetentionStream;
  /** Admins changing the retention policy: a shortening waits for a second admin (four eyes). */
  retentionPolicy: RetentionPolicyChanges;
  /** Four-eyes changes: proposed by one admin, confirmed (and so applied) by another holding the role. */
  changes: AdminChanges;
  /** Providers' applications, support, certificates and the four-eyes production steps, in this ledger's environment. */
  onboarding: ProviderOnboarding;
  /** What onboarding admins watch: a provider's timeline, support windows and certificates running out. */
  onboardingOverview: OnboardingOverview;
  /** A provider's record passed on between environments' ledgers: signed exports, verified imports. */
  recordTransfer: RecordTransfer;
  /** The log as a transparency log: its Merkle tree, signed checkpoints, proofs and tiles. */
  transparencyLog: TransparencyLog;
  /** Receipts for authorizations, once a signed checkpoint covers them (in GET /api/v1/acts/{actId}). */
  actReceipts: ActReceipts;
  /** Checks a receipt against this ledger's published JWK set and log key, as anyone can offline. */
  receiptVerification: ReceiptVerification;
  /** Erases failed authorizations older than the retention. */
  retentionPurge: RetentionPurge;
  /** Fails pending acts past their lifetime. */
  actExpiry: ActExpirySweep;
  /** Schedules the purge and the expiry sweep, and follows retention policy changes. */
  backgroundJobs: BackgroundJobs;
  /** The clock every command reads its time from. */
  clock: () => Date;
  /** Figures for operators that are not events (delivery retries, captcha refusals). */
  meter: LedgerMeter;
  /** The same figures with the event counts and request durations, as /metrics exposes them. */
  metrics: OperatorMetrics;
  /** Readiness checks by name; each resolves `ok: true` when that part answers, with figures beside it. */
  readiness: Record<string, () => Promise<ReadinessCheck>>;
}

export interface ReadinessCheck {
  ok: boolean;
  /**
   * Only part of the ledger needs this (the identity provider: authorization by authentication and
   * the portal): while it fails the ledger is `degraded` but still ready, so a load balancer keeps
   * sending it the provider API, codes and public verification instead of pulling every instance.
   */
  partial?: true;
  [figure: string]: unknown;
}
