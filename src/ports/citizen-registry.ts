/** A Mobile Key installation that can receive push notifications. */
export interface MobileKeyDevice {
  deviceId: string;
  label: string;
}

/** What the national point holds about one person (AIFO); never disclosed outside it. */
export interface Citizen {
  aifo: string;
  /** Shown only on simulator pages, to tell test persons apart. */
  displayName: string;
  /** ISO 3166 alpha-2; a person whose country is not the home country authenticates through the international gateway. */
  country: string;
  phone?: string;
  phoneVerified: boolean;
  /** The person allowed this phone for authorization codes. */
  phoneAllowed: boolean;
  mobileKeys: MobileKeyDevice[];
  createdAt: string;
}

export type NewCitizen = Omit<Citizen, 'aifo' | 'createdAt'> & { aifo?: string };

/** The national point's persons and their sector pseudonyms (BSI). */
export interface CitizenRegistry {
  add(citizen: NewCitizen, now: string): Promise<Citizen>;
  get(aifo: string): Promise<Citizen | undefined>;
  list(): Promise<Citizen[]>;
  /** Records the pair so `resolve` finds it later; the BSI itself is computed by the caller (Pseudonyms). */
  remember(sector: string, bsi: string, aifo: string): Promise<void>;
  /** The AIFO behind a sector's BSI, or undefined when that sector never saw that BSI. */
  resolve(sector: string, bsi: string): Promise<string | undefined>;
}
