/**
 * Upcasters: stored events keep the shape they were written in; reading lifts an older shape to the
 * current one before it is validated, so deciders and projections only ever meet the current shape.
 * An event type's current schema version is one more than the number of its upcasters: each
 * upcaster takes the data of version n (its index + 1) to version n + 1.
 */

type EventData = Record<string, unknown>;
type Upcaster = (data: EventData) => EventData;

const upcasters: Readonly<Record<string, readonly Upcaster[]>> = {
  ProviderRegistered: [
    // 1 -> 2: return URLs are optional when a provider registers (none given: none allowed yet, set
    // later by ProviderReturnUrlsChanged). Version 1 left the member out then; version 2 always
    // writes the list, since the provider's state folds it as the list of allowed return URLs.
    (data) => (data.returnUrls === undefined ? { ...data, returnUrls: [] } : data),
  ],
  RetentionPurgeExecuted: [
    // 1 -> 2: the stretch of log a record covers is named by sequences, not positions (positions
    // are a store's cursors and may be sparse). Version 1 was written while the event store port
    // promised a 1-based, gap-free position, which the SQLite store (the one such records were
    // written on) kept: there its positions are the sequences, so the numbers carry over as they are.
    ({ fromPosition, throughPosition, ...rest }) => ({ ...rest, fromSequence: fromPosition, throughSequence: throughPosition }),
  ],
  ActAuthorized: [
    // 1 -> 2: an authorization carries its receipt's commitment (public) and salt (sealed). Version 1
    // had neither; both stay absent when read, and such an act has no receipt.
    (data) => data,
  ],
  CodeDeliveryFailed: [
    // 1 -> 2: delivery became a job with retries, and the event says how many tries were made. Version 1
    // was written by the request itself after its one and only try.
    (data) => (data.attempts === undefined ? { ...data, attempts: 1 } : data),
  ],
};

/** The schema version new events of `type` are written with. */
export function currentSchemaVersion(type: string): number {
  return 1 + (upcasters[type]?.length ?? 0);
}

/** A stored schema version this ledger cannot read: newer than it knows, or not a version at all. */
export class UnknownSchemaVersionError extends Error {
  constructor(
    readonly type: string,
    readonly schemaVersion: unknown,
  ) {
    super(`schema version ${JSON.stringify(schemaVersion)} of ${type} is unknown here (current: ${currentSchemaVersion(type)})`);
    this.name = 'UnknownSchemaVersionError';
  }
}

/** `data`, written at `schemaVersion`, at the current version of `type`; the same object when it is current already. */
export function upcast(type: string, schemaVersion: number, data: EventData): EventData {
  const chain = upcasters[type] ?? [];
  if (!Number.isInteger(schemaVersion) || schemaVersion < 1 || schemaVersion > chain.length + 1) throw new UnknownSchemaVersionError(type, schemaVersion);
  let lifted = data;
  for (let version = schemaVersion; version <= chain.length; version++) lifted = chain[version - 1]!(lifted);
  return lifted;
}
