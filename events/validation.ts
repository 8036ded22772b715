import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { RecordedEvent } from './envelope.ts';
import { actEventSchemas } from './act-schemas.ts';
import { filingEventSchemas, providerEventSchemas } from './provider-schemas.ts';
import { retentionEventSchemas } from './retention-schemas.ts';
import { adminEventSchemas } from './admin-schemas.ts';
import { changeEventSchemas } from './change-schemas.ts';
import { registryEventSchemas } from './registry-schemas.ts';
import { auditEventSchemas } from './audit-schemas.ts';
import type { JsonSchema } from './json-schema.ts';
import { UnknownSchemaVersionError, upcast } from './upcasters.ts';

/**
 * Reading a stored event: its data is upcast to the current schema version of its type, then
 * checked against that version's schema. Streams of a family (act-, provider-, retention, admin-, change-, registry-, onboarding-filings, ledger-checkpoints) hold only
 * their family's event types; streams no family owns are read as they are.
 */

export type StreamFamily = 'act' | 'provider' | 'retention' | 'admin' | 'change' | 'registry' | 'onboarding-filings' | 'ledger-checkpoints';

export const eventSchemas: Readonly<Record<StreamFamily, Readonly<Record<string, JsonSchema>>>> = {
  act: actEventSchemas,
  provider: providerEventSchemas,
  retention: retentionEventSchemas,
  admin: adminEventSchemas,
  change: changeEventSchemas,
  registry: registryEventSchemas,
  'onboarding-filings': filingEventSchemas,
  'ledger-checkpoints': auditEventSchemas,
};

/** The family a stream belongs to, or undefined for a stream no family owns. */
export function familyOf(streamName: string): StreamFamily | undefined {
  if (streamName.startsWith('act-')) return 'act';
  if (streamName.startsWith('provider-')) return 'provider';
  if (streamName === 'retention') return 'retention';
  if (streamName.startsWith('admin-')) return 'admin';
  if (streamName.startsWith('change-')) return 'change';
  if (streamName.startsWith('registry-')) return 'registry';
  if (streamName === 'onboarding-filings') return 'onboarding-filings';
  if (streamName === 'ledger-checkpoints') return 'ledger-checkpoints';
  return undefined;
}

// Compiled once, here: reading is on every command's path, and compiling costs milliseconds.
const ajv = new Ajv({ allErrors: false, strict: true });
const validators = new Map<StreamFamily, Map<string, ValidateFunction>>(
  Object.entries(eventSchemas).map(([family, schemas]) => [
    family as StreamFamily,
    new Map(Object.entries(schemas).map(([type, schema]) => [type, ajv.compile(schema)])),
  ]),
);

/** A stored event that is not what its type says: the store holds something this ledger did not write. */
export class InvalidEventError extends Error {
  constructor(
    readonly streamName: string,
    readonly revision: number,
    readonly type: string,
    /** JSON Pointer into the event's data; empty for the event as a whole. */
    readonly path: string,
    readonly problem: string,
  ) {
    super(`event ${revision} of stream ${streamName} (${type}) is invalid${path ? ` at ${path}` : ''}: ${problem}`);
    this.name = 'InvalidEventError';
  }
}

/**
 * The event's data at the current schema version of its type, checked against its schema: the same
 * object when it needed no upcast. `recorded.data` is the decoded data (sealed fields open).
 */
export function readEventData(recorded: Pick<RecordedEvent, 'streamName' | 'revision' | 'type' | 'data' | 'metadata'>): Record<string, unknown> {
  const { streamName, revision, type } = recorded;
  const family = familyOf(streamName);
  if (!family) return recorded.data;
  const validate = validators.get(family)!.get(type);
  if (!validate) throw new InvalidEventError(streamName, revision, type, '', `${type} is not an event of the ${family} family`);
  let data: Record<string, unknown>;
  try {
    data = upcast(type, recorded.metadata?.schemaVersion, recorded.data);
  } catch (error) {
    if (error instanceof UnknownSchemaVersionError) throw new InvalidEventError(streamName, revision, type, '', error.message);
    throw error;
  }
  if (!validate(data)) {
    const { path, problem } = describe(validate.errors![0]!);
    throw new InvalidEventError(streamName, revision, type, path, problem);
  }
  return data;
}

function describe(error: ErrorObject): { path: string; problem: string } {
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'required') return { path: `${error.instancePath}/${String(params.missingProperty)}`, problem: 'is missing' };
  if (error.keyword === 'additionalProperties') return { path: `${error.instancePath}/${String(params.additionalProperty)}`, problem: 'is not part of the schema' };
  if (error.keyword === 'enum') return { path: error.instancePath, problem: `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
  return { path: error.instancePath, problem: error.message ?? error.keyword };
}
