import { hkdfSync } from 'node:crypto';
import { EncryptJWT, SignJWT, jwtDecrypt, jwtVerify } from 'jose';
import type { Gateway, Loa } from '../../../events/act.ts';
import type { Citizen, CitizenRegistry } from '../../ports/citizen-registry.ts';
import {
  AUTHORIZATION_SEP_SECTOR,
  type AuthenticationRequest,
  type AuthenticationResult,
  type AuthenticationStart,
  type AuthenticationTransaction,
  type CallbackParameters,
  type IdentityMeans,
  type IdentityProvider,
  type SimulatedIdentityPages,
  type SimulatorChoice,
} from '../../ports/identity-provider.ts';
import { SIMULATOR_IDENTITY_PATH } from '../../paths.ts';


const NATIONAL_MEANS: readonly IdentityMeans[] = [
  { id: 'eid-card', label: 'eID card', loa: 'high' },
  { id: 'bank-identity', label: 'Bank identity', loa: 'substantial' },
  { id: 'username-password', label: 'Username and password', loa: 'low' },
];
const INTERNATIONAL_MEANS: readonly IdentityMeans[] = [
  { id: 'eidas-high', label: 'National eID of the home country (eIDAS high)', loa: 'high' },
  { id: 'eidas-substantial', label: 'National identity means (eIDAS substantial)', loa: 'substantial' },
  { id: 'eidas-low', label: 'National username and password (eIDAS low)', loa: 'low' },
];


export interface SimulatedIdentityNodeOptions {
  publicUrl: string;
  /** The ledger secret the node's token keys are derived from. */
  secret: Buffer;
  /** The BSI the authorization SeP knows a person by (the subject the node releases). */
  subjectOf: (person: Citizen) => Promise<string>;
  citizens: CitizenRegistry;
  homeCountry: string;
  clock: () => Date;
}

const REQUEST_TYP = 'simulator-request+jwt';
const RESULT_TTL_S = 120;
const REQUEST_TTL_S = 15 * 60;

/**
 * The simulator environment's identity node (the integration guide's simulated node). The request
 * travels to its page signed; the answer travels back encrypted, so the released pseudonym is not
 * readable in the URL, and bound to the request's state and nonce.
 */
export class SimulatedIdentityNode implements IdentityProvider, SimulatedIdentityPages {
  readonly kind = 'simulator';
  private readonly requestKey: Uint8Array;
  private readonly resultKey: Uint8Array;
  private readonly issuer: string;

  constructor(private readonly options: SimulatedIdentityNodeOptions) {
    this.requestKey = derive(options.secret, 'act-ledger/simulated-identity-node/request');
    this.resultKey = derive(options.secret, 'act-ledger/simulated-identity-node/result');
    this.issuer = `${options.publicUrl}${SIMULATOR_IDENTITY_PATH}`;
  }

  async begin(request: AuthenticationRequest): Promise<AuthenticationStart> {
    const token = await new SignJWT({ request })
      .setProtectedHeader({ alg: 'HS256', typ: REQUEST_TYP })
      .setIssuer(this.options.publicUrl)
      .setAudience(this.issuer)
      .setIssuedAt(this.now())
      .setExpirationTime(this.now() + REQUEST_TTL_S)
      .sign(this.requestKey);
    return { redirectUrl: `${this.issuer}?request=${encodeURIComponent(token)}` };
  }

  /** The request a token on the simulator page carries; undefined when forged or expired. */
  async readRequest(token: string): Promise<AuthenticationRequest | undefined> {
    try {
      const { payload } = await jwtVerify<{ request: AuthenticationRequest }>(token, this.requestKey, {
        issuer: this.options.publicUrl,
        audience: this.issuer,
        typ: REQUEST_TYP,
        currentDate: this.options.clock(),
      });
      return payload.request;
    } catch {
      return undefined;
    }
  }

  /** Persons who can authenticate at this gateway: domestic ones nationally, foreign ones through eIDAS. */
  async persons(gateway: Gateway): Promise<Citizen[]> {
    const home = this.options.homeCountry;
    return (await this.options.citizens.list()).filter((c) => (gateway === 'national') === (c.country === home));
  }

  means(gateway: Gateway): readonly IdentityMeans[] {
    return gateway === 'national' ? NATIONAL_MEANS : INTERNATIONAL_MEANS;
  }

  /** The callback URL carrying the node's sealed answer to a request. Throws on a choice the page did not offer. */
  async answer(request: AuthenticationRequest, choice: SimulatorChoice): Promise<string> {
    let claims: Record<string, unknown> = { outcome: choice.action === 'cancel' ? 'cancelled' : 'failed' };
    if (choice.action === 'authenticate') {
      const person = (await this.persons(request.gateway)).find((p) => p.aifo === choice.aifo);
      const means = this.means(request.gateway).find((m) => m.id === choice.meansId);
      if (!person || !means) throw new Error('this person or identity means is not offered at this gateway');
      // Remembered under the authorization SeP's sector, so the ledger can resolve what it receives.
      claims = { outcome: 'authenticated', sub: await this.options.subjectOf(person), loa: means.loa, means: means.id, auth_time: this.now() };
    }
    const result = await new EncryptJWT({ ...claims, state: request.state, nonce: request.nonce })
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .setIssuer(this.issuer)
      .setAudience(request.callbackUrl)
      .setIssuedAt(this.now())
      .setExpirationTime(this.now() + RESULT_TTL_S)
      .encrypt(this.resultKey);
    const url = new URL(request.callbackUrl);
    url.searchParams.set('state', request.state);
    url.searchParams.set('result', result);
    return url.href;
  }

  async complete(callback: CallbackParameters, transaction: AuthenticationTransaction): Promise<AuthenticationResult> {
    if (!callback.result) return { outcome: 'failed', reason: 'the callback carries no result' };
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtDecrypt(callback.result, this.resultKey, {
        issuer: this.issuer,
        audience: transaction.callbackUrl,
        currentDate: this.options.clock(),
      }));
    } catch (error) {
      return { outcome: 'failed', reason: `the result does not verify: ${(error as Error).message}` };
    }
    if (payload.state !== transaction.state || payload.nonce !== transaction.nonce) {
      return { outcome: 'failed', reason: 'the result belongs to another authentication' };
    }
    if (payload.outcome === 'cancelled' || payload.outcome === 'failed') {
      return { outcome: payload.outcome, reason: `the tester chose ${payload.outcome === 'cancelled' ? 'cancel' : 'fail'}` };
    }
    const authTime = Number(payload.auth_time);
    if (typeof payload.sub !== 'string' || !Number.isFinite(authTime) || !isLoa(payload.loa)) {
      return { outcome: 'failed', reason: 'the result is incomplete' };
    }
    return {
      outcome: 'authenticated',
      identity: { sector: AUTHORIZATION_SEP_SECTOR, subject: payload.sub },
      loaAchieved: payload.loa,
      means: typeof payload.means === 'string' ? payload.means : null,
      authTime: new Date(authTime * 1000).toISOString(),
    };
  }

  private now(): number {
    return Math.floor(this.options.clock().getTime() / 1000);
  }
}

function derive(secret: Buffer, purpose: string): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', secret, new Uint8Array(0), purpose, 32));
}

function isLoa(value: unknown): value is Loa {
  return value === 'low' || value === 'substantial' || value === 'high';
}
