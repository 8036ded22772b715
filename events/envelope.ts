/**
 * The shape every event has, whichever stream it lives in.
 * `data` is the event's public part; personal fields travel sealed (see src/app/acts/act-sealing.ts).
 */
export interface EventMetadata {
  /** UUID; deterministic from the command's idempotency key where there is one. */
  eventId: string;
  correlationId: string;
  causationId?: string;
  /** ISO 8601 time at which the command that caused the event was decided. */
  occurredAt: string;
  /** Who caused it: a provider id, `admin:<id>`, `citizen`, `system:retention`, ... */
  actor: string;
  /** Version of the data's shape for its type, as written (events/upcasters.ts lifts older ones on reading). */
  schemaVersion: number;
}

/** A domain event as deciders produce and consume it: no metadata, no storage details. */
export interface DomainEvent<Type extends string = string, Data = Record<string, unknown>> {
  type: Type;
  data: Data;
}

/** An event on its way into the store. */
export interface NewEvent {
  type: string;
  data: Record<string, unknown>;
  metadata: EventMetadata;
}

/** An event as the store gives it back. */
export interface RecordedEvent {
  streamName: string;
  /** 0-based position inside its stream. */
  revision: number;
  /**
   * Where the event sits in the global log: above 0 and strictly increasing in append order, but a
   * cursor, not a count (EventStoreDB's are sparse byte offsets). Compare positions; never do
   * arithmetic on one or store one in an event. The dense number of an event is its sequence.
   */
  position: number;
  type: string;
  data: Record<string, unknown>;
  metadata: EventMetadata;
}

export const streamNames = {
  act: (actId: string) => `act-${actId}`,
  provider: (providerId: string) => `provider-${providerId}`,
  retention: 'retention',
  admin: (adminId: string) => `admin-${adminId}`,
  change: (changeId: string) => `change-${changeId}`,
  /** A person's registry changes, by the keyed pseudonym of their AIFO (events/registry.ts). */
  registry: (subject: string) => `registry-${subject}`,
  registryImports: 'registry-imports',
  checkpoints: 'ledger-checkpoints',
  /** One event per application filed: its revision is the ledger-wide filing sequence (src/app/providers/onboarding.ts). */
  onboardingFilings: 'onboarding-filings',
} as const;

/** The part of a stream name after its family prefix, or undefined when the family differs. */
export function streamId(streamName: string, family: 'act' | 'provider' | 'change'): string | undefined {
  const prefix = `${family}-`;
  return streamName.startsWith(prefix) ? streamName.slice(prefix.length) : undefined;
}
