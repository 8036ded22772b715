import { createHash } from 'node:crypto';
import type { Citizen, CitizenFields, DevicePublicKey, MobileKeyDevice, RemovedMobileKey } from '../ports/citizen-registry.ts';

/**
 * The registry's rules on one person's record, the same for every adapter (SQLite, MongoDB): each
 * adapter loads the record, applies one of these, and writes it back in one transaction.
 */

const KEEP_REMOVED = 20;

/** A device's id from its FCM token: the same token is the same device. */
export function deviceIdFor(fcmToken: string): string {
  return `mk-${createHash('sha256').update(fcmToken, 'utf8').digest('base64url').slice(0, 22)}`;
}

export function withFields(existing: Citizen | undefined, aifo: string, fields: CitizenFields, now: string): Citizen {
  const { phone, displayName, ...rest } = fields;
  const base: Citizen = existing ?? { aifo, displayName: displayName ?? aifo, country: fields.country, phoneVerified: false, phoneAllowed: false, mobileKeys: [], createdAt: now };
  const next: Citizen = { ...base, ...rest, displayName: displayName ?? base.displayName, updatedAt: now };
  if (phone) next.phone = phone;
  else delete next.phone;
  return next;
}

export function withMobileKey(citizen: Citizen, device: { fcmToken: string; label: string; publicKey?: DevicePublicKey }, now: string): { citizen: Citizen; device: MobileKeyDevice } {
  const deviceId = deviceIdFor(device.fcmToken);
  const previous = citizen.mobileKeys.find((d) => d.deviceId === deviceId);
  const added: MobileKeyDevice = { deviceId, label: device.label, fcmToken: device.fcmToken, ...(device.publicKey ? { publicKey: device.publicKey } : {}), registeredAt: previous?.registeredAt ?? now };
  const mobileKeys = previous ? citizen.mobileKeys.map((d) => (d.deviceId === deviceId ? added : d)) : [...citizen.mobileKeys, added];
  return { citizen: { ...citizen, mobileKeys, updatedAt: now }, device: added };
}

export function withoutMobileKey(citizen: Citizen, deviceId: string, reason: RemovedMobileKey['reason'], now: string): Citizen | undefined {
  const device = citizen.mobileKeys.find((d) => d.deviceId === deviceId);
  if (!device) return undefined;
  const removed = [...(citizen.removedMobileKeys ?? []), { deviceId, label: device.label, reason, removedAt: now }].slice(-KEEP_REMOVED);
  return { ...citizen, mobileKeys: citizen.mobileKeys.filter((d) => d.deviceId !== deviceId), removedMobileKeys: removed, updatedAt: now };
}
