/** A device's public key for end-to-end encrypted codes: a P-256 EC JWK (public part only). */
export interface DevicePublicKey {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
}

/** A Mobile Key installation that can receive push notifications. */
export interface MobileKeyDevice {
  /** Stable id of the installation: derived from its FCM token, so registering the same token again is the same device. */
  deviceId: string;
  label: string;
  /** The FCM registration token pushes go to (absent on the simulator's test persons, whose phone is the outbox). */
  fcmToken?: string;
  /** When set, codes for this device travel as a JWE only the device can read (ECDH-ES+A256KW, A256GCM). */
  publicKey?: DevicePublicKey;
  registeredAt?: string;
}

/** A device that left the registry, kept on the person's record so an admin sees why and when. */
export interface RemovedMobileKey {
  deviceId: string;
  label: string;
  /** `admin`: removed through the admin API; `unregistered`: the push service said the token is gone (FCM UNREGISTERED). */
  reason: 'admin' | 'unregistered';
  removedAt: string;
}

/** What the national point holds about one person (AIFO); never disclosed outside it. */
export interface Citizen {
  aifo: string;
  /** Shown only on simulator pages and admin answers, to tell persons apart. */
  displayName: string;
  /** ISO 3166 alpha-2; a person whose country is not the home country authenticates through the international gateway. */
  country: string;
  phone?: string;
  phoneVerified: boolean;
  /** The person allowed this phone for authorization codes. */
  phoneAllowed: boolean;
  mobileKeys: MobileKeyDevice[];
  /** Devices removed from this person, newest last (at most the last 20). */
  removedMobileKeys?: RemovedMobileKey[];
  createdAt: string;
  updatedAt?: string;
}

export type NewCitizen = Omit<Citizen, 'aifo' | 'createdAt' | 'updatedAt' | 'removedMobileKeys'> & { aifo?: string };

/** The fields an operator sets on a person; the registry keeps the person's devices as they are. */
export interface CitizenFields {
  displayName?: string;
  country: string;
  /** Absent or null: no phone on file. */
  phone?: string | null;
  phoneVerified: boolean;
  phoneAllowed: boolean;
}

/** The national point's persons and their sector pseudonyms (BSI). */
export interface CitizenRegistry {
  add(citizen: NewCitizen, now: string): Promise<Citizen>;
  get(aifo: string): Promise<Citizen | undefined>;
  list(): Promise<Citizen[]>;
  /** Creates the person or replaces their fields (devices untouched); `created` tells which. Idempotent. */
  upsert(aifo: string, fields: CitizenFields, now: string): Promise<{ citizen: Citizen; created: boolean }>;
  /**
   * Adds a device to an existing person (undefined when there is no such person). The same FCM token
   * again is the same device: its label and public key are updated, nothing is added twice.
   */
  addMobileKey(aifo: string, device: { fcmToken: string; label: string; publicKey?: DevicePublicKey }, now: string): Promise<MobileKeyDevice | undefined>;
  /** Removes a device, recording why on the person; false when the person or the device is not there. */
  removeMobileKey(aifo: string, deviceId: string, reason: RemovedMobileKey['reason'], now: string): Promise<boolean>;
  /** Records the pair so `resolve` finds it later; the BSI itself is computed by the caller (Pseudonyms). */
  remember(sector: string, bsi: string, aifo: string): Promise<void>;
  /** The AIFO behind a sector's BSI, or undefined when that sector never saw that BSI. */
  resolve(sector: string, bsi: string): Promise<string | undefined>;
}
