import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { importJWK } from 'jose';
import { DomainError, refuse } from '../../../commands/errors.ts';
import type { Citizen, CitizenRegistry, DevicePublicKey, MobileKeyDevice, RemovedMobileKey } from '../../ports/citizen-registry.ts';
import { OIDC_SECTOR } from '../../ports/identity-provider.ts';
import type { ProviderDirectory } from '../providers/provider-directory.ts';
import { providerSector, type Pseudonyms } from './pseudonyms.ts';
import type { RegistryAudit } from './registry-audit.ts';
import type { CitizenField, MobileKeyField } from '../../../events/registry.ts';
import {
  citizenImportLineSchema,
  privateKeyMember,
  type CitizenFieldsInput,
  type CitizenImportLine,
  type DevicePublicKeyInput,
  type MobileKeyInput,
} from './citizen-input.ts';

/** A device as admins see it: the FCM token masked (it addresses the person's phone), never in full. */
export interface MobileKeyView {
  deviceId: string;
  label: string;
  /** The first and last four characters of the FCM token, or absent when the device has none (a test person's). */
  fcmTokenHint?: string;
  publicKey?: DevicePublicKey;
  registeredAt?: string;
}

/** A person as admins see it. */
export interface CitizenView {
  aifo: string;
  displayName: string;
  country: string;
  phone?: string;
  phoneVerified: boolean;
  phoneAllowed: boolean;
  mobileKeys: MobileKeyView[];
  removedMobileKeys: RemovedMobileKey[];
  createdAt: string;
  updatedAt?: string;
}

/** What a write did: `unchanged` when the registry already held exactly this, and nothing was written. */
export type RegistryOutcome = 'created' | 'updated' | 'unchanged';

export interface CitizenAdminOptions {
  citizens: CitizenRegistry;
  pseudonyms: Pseudonyms;
  providers: ProviderDirectory;
  /** Where each change is recorded, by whom (names of fields, never values). */
  audit: RegistryAudit;
  clock: () => Date;
}

/**
 * The operator's citizen registry, in every environment: persons' fields, their Mobile Key devices,
 * the SePP support staff need, and the bulk import's lines. The HTTP edge has checked a body against
 * the schemas of citizen-input.ts; an import line is checked here against the same ones. Every write
 * that changed something is recorded in the log with the caller's `actor`; a write that changed
 * nothing records nothing. Import lines are not recorded one by one: the import records its summary.
 */
export class CitizenAdmin {
  private readonly validateLine: ValidateFunction;

  constructor(private readonly options: CitizenAdminOptions) {
    // The HTTP edge's options: no coercion, no defaults filled in, the first error only.
    this.validateLine = new Ajv({ allErrors: false, strict: true }).compile(citizenImportLineSchema);
  }

  /** Creates the person or sets their fields (devices untouched); writes nothing when they are already so. */
  async upsert(aifo: string, fields: CitizenFieldsInput, actor: string): Promise<{ outcome: RegistryOutcome; citizen: CitizenView }> {
    const written = await this.writeFields(aifo, fields);
    if (written.outcome !== 'unchanged') await this.options.audit.citizenChanged(aifo, written.outcome === 'created', written.changed, actor);
    return { outcome: written.outcome, citizen: view(written.citizen) };
  }

  private async writeFields(aifo: string, fields: CitizenFieldsInput): Promise<{ outcome: RegistryOutcome; citizen: Citizen; changed: CitizenField[] }> {
    const { identitySubject, ...personal } = fields;
    checkPhoneFlags(personal, '');
    // Checked before anything is written: a subject names one person, for good.
    const linkedTo = identitySubject === undefined ? undefined : await this.options.citizens.resolve(OIDC_SECTOR, identitySubject);
    if (linkedTo !== undefined && linkedTo !== aifo) refuse('conflict', 'this identity subject is linked to another person already', { errors: [{ pointer: '/identitySubject' }] });
    const newLink = identitySubject !== undefined && linkedTo === undefined;
    const link = async () => {
      if (newLink) await this.options.citizens.remember(OIDC_SECTOR, identitySubject, aifo);
    };
    const existing = await this.options.citizens.get(aifo);
    if (existing && sameFields(existing, personal)) {
      if (!newLink) return { outcome: 'unchanged', citizen: existing, changed: [] };
      await link();
      return { outcome: 'updated', citizen: existing, changed: ['identitySubject'] };
    }
    const { citizen, created } = await this.options.citizens.upsert(aifo, { ...personal, phone: personal.phone ?? null }, this.now());
    await link();
    const changed = changedFields(created ? undefined : existing, citizen);
    return { outcome: created ? 'created' : 'updated', citizen, changed: newLink ? [...changed, 'identitySubject'] : changed };
  }

  /** The person's record; refused as not-found when the registry has no such person. */
  async get(aifo: string): Promise<CitizenView> {
    return view(await this.existing(aifo));
  }

  /** Registers a device for the person, or updates it when its FCM token is already theirs. */
  async addMobileKey(aifo: string, device: MobileKeyInput, actor: string): Promise<{ outcome: RegistryOutcome; device: MobileKeyView }> {
    const written = await this.writeDevice(aifo, device);
    if (written.outcome !== 'unchanged') {
      await this.options.audit.mobileKeyRegistered(aifo, written.device.deviceId, written.outcome === 'created', written.changed, actor);
    }
    return { outcome: written.outcome, device: deviceView(written.device) };
  }

  private async writeDevice(aifo: string, device: MobileKeyInput): Promise<{ outcome: RegistryOutcome; device: MobileKeyDevice; changed: MobileKeyField[] }> {
    const publicKey = device.publicKey ? await checkedPublicKey(device.publicKey, '/publicKey') : undefined;
    const citizen = await this.existing(aifo);
    const present = citizen.mobileKeys.find((d) => d.fcmToken === device.fcmToken);
    if (present && sameDevice(present, device.label, publicKey)) return { outcome: 'unchanged', device: present, changed: [] };
    const added = await this.options.citizens.addMobileKey(aifo, { fcmToken: device.fcmToken, label: device.label, ...(publicKey ? { publicKey } : {}) }, this.now());
    if (!added) refuse('not-found', 'no such person');
    const changed: MobileKeyField[] = present
      ? [...(present.label !== device.label ? (['label'] as const) : []), ...(sameKey(present.publicKey, publicKey) ? [] : (['publicKey'] as const))]
      : ['fcmToken', 'label', ...(publicKey ? (['publicKey'] as const) : [])];
    return { outcome: present ? 'updated' : 'created', device: added, changed };
  }

  /** Removes a device; refused as not-found when the person or the device is not there. */
  async removeMobileKey(aifo: string, deviceId: string, actor: string): Promise<void> {
    await this.existing(aifo);
    if (!(await this.options.citizens.removeMobileKey(aifo, deviceId, 'admin', this.now()))) refuse('not-found', 'the person has no such device');
    await this.options.audit.mobileKeyRemoved(aifo, deviceId, 'admin', actor);
  }

  /** The SePP (BSI) a provider knows a person by; refused as not-found when either is unknown. */
  async seppFor(aifo: string, providerId: string): Promise<string> {
    const citizen = await this.existing(aifo);
    if (!(await this.options.providers.get(providerId)).exists) refuse('not-found', 'no such provider');
    return this.options.pseudonyms.seppFor(providerSector(providerId), citizen);
  }

  /**
   * One line of a bulk import, parsed JSON: checked as the API checks its bodies, then the person's
   * fields and each listed device written where they differ. Devices the line does not list are kept.
   * A refusal is a DomainError `invalid-request` naming the member; nothing of the line is written then.
   */
  async importLine(value: unknown): Promise<RegistryOutcome> {
    const line = await this.checkedLine(value);
    const { aifo, mobileKeys = [], ...fields } = line;
    const person = await this.writeFields(aifo, fields);
    let outcome = person.outcome;
    for (const device of mobileKeys) {
      const added = await this.writeDevice(aifo, device);
      if (added.outcome !== 'unchanged' && outcome === 'unchanged') outcome = 'updated';
    }
    return outcome;
  }

  private async checkedLine(value: unknown): Promise<CitizenImportLine> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) refuse('invalid-request', 'a line must be one JSON object');
    const keys = (value as { mobileKeys?: unknown }).mobileKeys;
    if (Array.isArray(keys)) {
      keys.forEach((device: unknown, i) => {
        const member = privateKeyMember((device as { publicKey?: unknown } | null)?.publicKey, `/mobileKeys/${i}/publicKey`);
        if (member) refuse('invalid-request', `${member}: a device registers its public key only, never the private part`, { errors: [{ pointer: member }] });
      });
    }
    if (!this.validateLine(value)) {
      const error = this.validateLine.errors![0]!;
      refuse('invalid-request', describeSchemaError(error), { errors: [{ pointer: error.instancePath || '/', message: error.message }] });
    }
    const line = value as CitizenImportLine;
    checkPhoneFlags(line, '');
    const tokens = new Set<string>();
    for (const [i, device] of (line.mobileKeys ?? []).entries()) {
      if (tokens.has(device.fcmToken)) refuse('invalid-request', `/mobileKeys/${i}/fcmToken: the same device is listed twice`, { errors: [{ pointer: `/mobileKeys/${i}/fcmToken` }] });
      tokens.add(device.fcmToken);
      if (device.publicKey) await checkedPublicKey(device.publicKey, `/mobileKeys/${i}/publicKey`);
    }
    return line;
  }

  private async existing(aifo: string): Promise<Citizen> {
    const citizen = await this.options.citizens.get(aifo);
    if (!citizen) refuse('not-found', 'no such person');
    return citizen;
  }

  private now(): string {
    return this.options.clock().toISOString();
  }
}

/** A phone cannot be verified or allowed when there is none: `methods` would offer SMS to nowhere. */
function checkPhoneFlags(fields: CitizenFieldsInput, pointer: string): void {
  if (!fields.phone && (fields.phoneVerified || fields.phoneAllowed)) {
    refuse('invalid-request', 'phoneVerified and phoneAllowed can only be true with a phone', { errors: [{ pointer: `${pointer}/phone` }] });
  }
}

/**
 * The key as the registry keeps it, once jose has imported it: the schema checks the shape, the
 * import that the point lies on P-256 (a point off the curve is the start of an invalid-curve attack).
 */
async function checkedPublicKey(jwk: DevicePublicKeyInput, pointer: string): Promise<DevicePublicKey> {
  const key: DevicePublicKey = { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y };
  try {
    await importJWK(key, 'ECDH-ES+A256KW');
  } catch {
    throw new DomainError('invalid-request', `${pointer}: not a public key on the P-256 curve`, { errors: [{ pointer }] });
  }
  return key;
}

function sameFields(citizen: Citizen, fields: CitizenFieldsInput): boolean {
  return (
    citizen.country === fields.country &&
    citizen.phone === fields.phone &&
    citizen.phoneVerified === fields.phoneVerified &&
    citizen.phoneAllowed === fields.phoneAllowed &&
    (fields.displayName === undefined || fields.displayName === citizen.displayName)
  );
}

function sameDevice(device: MobileKeyDevice, label: string, publicKey: DevicePublicKey | undefined): boolean {
  return device.label === label && sameKey(device.publicKey, publicKey);
}

function sameKey(a: DevicePublicKey | undefined, b: DevicePublicKey | undefined): boolean {
  return a === undefined ? b === undefined : b !== undefined && a.x === b.x && a.y === b.y;
}

/** The names of the fields a write changed (every field it set, for a new person): what the log may say of it. */
function changedFields(before: Citizen | undefined, after: Citizen): CitizenField[] {
  const fields: CitizenField[] = [];
  if (!before || before.displayName !== after.displayName) fields.push('displayName');
  if (!before || before.country !== after.country) fields.push('country');
  if ((before?.phone ?? null) !== (after.phone ?? null)) fields.push('phone');
  if (!before || before.phoneVerified !== after.phoneVerified) fields.push('phoneVerified');
  if (!before || before.phoneAllowed !== after.phoneAllowed) fields.push('phoneAllowed');
  return fields;
}

function view(citizen: Citizen): CitizenView {
  return {
    aifo: citizen.aifo,
    displayName: citizen.displayName,
    country: citizen.country,
    ...(citizen.phone ? { phone: citizen.phone } : {}),
    phoneVerified: citizen.phoneVerified,
    phoneAllowed: citizen.phoneAllowed,
    mobileKeys: citizen.mobileKeys.map(deviceView),
    removedMobileKeys: citizen.removedMobileKeys ?? [],
    createdAt: citizen.createdAt,
    ...(citizen.updatedAt ? { updatedAt: citizen.updatedAt } : {}),
  };
}

function deviceView(device: MobileKeyDevice): MobileKeyView {
  return {
    deviceId: device.deviceId,
    label: device.label,
    ...(device.fcmToken ? { fcmTokenHint: maskToken(device.fcmToken) } : {}),
    ...(device.publicKey ? { publicKey: device.publicKey } : {}),
    ...(device.registeredAt ? { registeredAt: device.registeredAt } : {}),
  };
}

/** Enough of a token to tell two devices apart, not enough to push to one. */
export function maskToken(token: string): string {
  return token.length >= 16 ? `${token.slice(0, 4)}…${token.slice(-4)}` : '…';
}

function describeSchemaError(error: ErrorObject): string {
  const at = error.instancePath || '/';
  if (error.keyword === 'additionalProperties') return `${at}: unknown member ${String((error.params as { additionalProperty?: unknown }).additionalProperty)}`;
  if (error.keyword === 'required') return `${at}: missing ${String((error.params as { missingProperty?: unknown }).missingProperty)}`;
  return `${at} ${error.message ?? 'is not valid'}`;
}
