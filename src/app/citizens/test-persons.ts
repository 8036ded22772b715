import { refuse } from '../../../commands/errors.ts';
import type { Citizen, CitizenRegistry, NewCitizen } from '../../ports/citizen-registry.ts';
import type { ProviderDirectory } from '../providers/provider-directory.ts';
import { providerSector, type Pseudonyms } from './pseudonyms.ts';

/**
 * The simulator environment's test persons (the simulated identity node of the integration guide).
 * Fixed AIFOs, so demo scripts and testers can name them.
 */
export const testPersons: Array<NewCitizen & { aifo: string }> = [
  {
    aifo: 'test-person-jana',
    displayName: 'Jana Nováková (phone and Mobile Key)',
    country: 'CZ',
    phone: '+420601000001',
    phoneVerified: true,
    phoneAllowed: true,
    mobileKeys: [{ deviceId: 'mk-jana-1', label: 'Jana\'s phone' }],
  },
  { aifo: 'test-person-petr', displayName: 'Petr Svoboda (unverified phone)', country: 'CZ', phone: '+420601000002', phoneVerified: false, phoneAllowed: true, mobileKeys: [] },
  { aifo: 'test-person-marie', displayName: 'Marie Dvořáková (no contacts)', country: 'CZ', phoneVerified: false, phoneAllowed: false, mobileKeys: [] },
  { aifo: 'test-person-hans', displayName: 'Hans Müller (Germany, eIDAS)', country: 'DE', phoneVerified: false, phoneAllowed: false, mobileKeys: [] },
];

/** Adds the test persons that are missing; leaves the rest as they are. */
export async function seedTestPersons(registry: CitizenRegistry, now: string): Promise<void> {
  for (const person of testPersons) {
    if (!(await registry.get(person.aifo))) await registry.add(person, now);
  }
}

/** What an admin gives for a new test person; the rest takes the simulator's defaults. */
export interface TestPersonRequest {
  displayName?: string;
  country?: string;
  phone?: string;
  phoneVerified?: boolean;
  phoneAllowed?: boolean;
  /** Register a Mobile Key device for the person. */
  mobileKey?: boolean;
}

export interface TestPersonDirectoryOptions {
  citizens: CitizenRegistry;
  pseudonyms: Pseudonyms;
  providers: ProviderDirectory;
  homeCountry: string;
  clock: () => Date;
}

/** The simulator's test persons as its admin API and simulated phones see them. */
export class TestPersonDirectory {
  constructor(private readonly options: TestPersonDirectoryOptions) {}

  /** Adds a test person; unnamed ones are "Test person", of the home country, without contacts. */
  async add(request: TestPersonRequest): Promise<Citizen> {
    return this.options.citizens.add(
      {
        displayName: request.displayName ?? 'Test person',
        country: request.country ?? this.options.homeCountry,
        ...(request.phone ? { phone: request.phone } : {}),
        phoneVerified: request.phoneVerified ?? false,
        phoneAllowed: request.phoneAllowed ?? false,
        mobileKeys: request.mobileKey ? [{ deviceId: `mk-${Date.now().toString(36)}`, label: 'Mobile Key' }] : [],
      },
      this.options.clock().toISOString(),
    );
  }

  /** Every person the registry holds. */
  list(): Promise<Citizen[]> {
    return this.options.citizens.list();
  }

  /** One person, or undefined. */
  get(aifo: string): Promise<Citizen | undefined> {
    return this.options.citizens.get(aifo);
  }

  /** The SePP (BSI) a provider knows a person by; refused as not-found when either is unknown. */
  async seppFor(aifo: string, providerId: string): Promise<string> {
    const citizen = await this.options.citizens.get(aifo);
    if (!citizen) refuse('not-found', 'no such person');
    if (!(await this.options.providers.get(providerId)).exists) refuse('not-found', 'no such provider');
    return this.options.pseudonyms.seppFor(providerSector(providerId), citizen);
  }
}
