import type { CitizenRegistry, NewCitizen } from '../../ports/citizen-registry.ts';

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
