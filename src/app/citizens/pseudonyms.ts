import { createHmac } from 'node:crypto';
import type { Citizen, CitizenRegistry } from '../../ports/citizen-registry.ts';
import { AUTHORIZATION_SEP_SECTOR } from '../../ports/identity-provider.ts';

export const providerSector = (providerId: string) => `provider:${providerId}`;

export interface ParsedSepp {
  bsi: string;
  /** Country of the person's identity (first of an eIDAS prefix), or the home country. */
  country: string;
  foreign: boolean;
}

const EIDAS_PREFIX = /^([A-Z]{2})\/([A-Z]{2})\/(.+)$/;

/**
 * Sector pseudonyms (DESIGN.md section 3): BSI = base64url(HMAC-SHA-256(pseudonymKey, sector:aifo)).
 * A foreign person's SePP carries an eIDAS-style prefix `XX/<home>/`.
 */
export class Pseudonyms {
  constructor(
    private readonly key: Buffer,
    private readonly registry: CitizenRegistry,
    private readonly homeCountry: string,
  ) {}

  bsi(sector: string, aifo: string): string {
    return createHmac('sha256', this.key).update(`${sector}:${aifo}`).digest('base64url');
  }

  /** The SePP a sector knows the person by; remembered so it can be resolved later. */
  async seppFor(sector: string, citizen: Citizen): Promise<string> {
    const bsi = this.bsi(sector, citizen.aifo);
    await this.registry.remember(sector, bsi, citizen.aifo);
    return citizen.country === this.homeCountry ? bsi : `${citizen.country}/${this.homeCountry}/${bsi}`;
  }

  /** The BSI the authorization SeP knows the person by: the subject an identity provider releases for them. */
  async authorizationSubject(citizen: Citizen): Promise<string> {
    return this.parse(await this.seppFor(AUTHORIZATION_SEP_SECTOR, citizen)).bsi;
  }

  parse(sepp: string): ParsedSepp {
    const m = EIDAS_PREFIX.exec(sepp);
    if (!m) return { bsi: sepp, country: this.homeCountry, foreign: false };
    return { bsi: m[3]!, country: m[1]!, foreign: m[1] !== this.homeCountry };
  }

  citizen(aifo: string): Promise<Citizen | undefined> {
    return this.registry.get(aifo);
  }

  /** The person behind a sector's SePP, when the prefix agrees with the person's country. */
  async resolve(sector: string, sepp: string): Promise<Citizen | undefined> {
    const { bsi, country } = this.parse(sepp);
    const aifo = await this.registry.resolve(sector, bsi);
    if (!aifo) return undefined;
    const citizen = await this.registry.get(aifo);
    return citizen && citizen.country === country ? citizen : undefined;
  }
}
