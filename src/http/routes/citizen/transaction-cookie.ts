import { hkdfSync } from 'node:crypto';
import { EncryptJWT, jwtDecrypt } from 'jose';
import type { AuthorizationTransaction } from '../../../app/authorization.ts';

/** Identity provider `state` values the ledger makes: 16 random bytes, base64url. */
const STATE = /^[A-Za-z0-9_-]{22}$/;
const PREFIX = 'ledger_authz_';

/**
 * The authorization transaction, kept in the browser that started it: encrypted and authenticated
 * (JWE dir + A256GCM, key derived from the ledger's cookie key), short-lived, HttpOnly, SameSite=Lax.
 * One cookie per transaction, named after its state, so two tabs do not overwrite each other.
 */
export class TransactionCookie {
  private readonly key: Uint8Array;

  constructor(
    cookieKey: Buffer,
    private readonly secure: boolean,
    private readonly clock: () => Date,
  ) {
    this.key = new Uint8Array(hkdfSync('sha256', cookieKey, new Uint8Array(0), 'act-ledger/authorization-transaction', 32));
  }

  /** The cookie's name for a callback's `state`; undefined when the state is not one the ledger makes. */
  nameFor(state: unknown): string | undefined {
    return typeof state === 'string' && STATE.test(state) ? `${PREFIX}${state}` : undefined;
  }

  async seal(transaction: AuthorizationTransaction): Promise<{ name: string; value: string; options: CookieOptions }> {
    const value = await new EncryptJWT({ tx: transaction })
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .setExpirationTime(Math.floor(transaction.expiresAt / 1000))
      .encrypt(this.key);
    const maxAge = Math.max(1, Math.ceil((transaction.expiresAt - this.clock().getTime()) / 1000));
    return { name: `${PREFIX}${transaction.authentication.state}`, value, options: { ...this.options(), maxAge } };
  }

  /** The transaction a cookie holds for `state`; undefined when tampered with, expired or for another state. */
  async open(value: string | undefined, state: string): Promise<AuthorizationTransaction | undefined> {
    if (!value) return undefined;
    try {
      const { payload } = await jwtDecrypt<{ tx: AuthorizationTransaction }>(value, this.key, { currentDate: this.clock() });
      return payload.tx.authentication.state === state ? payload.tx : undefined;
    } catch {
      return undefined;
    }
  }

  /** Options that clear the cookie (same path, so the browser matches it). */
  clearing(): CookieOptions {
    return this.options();
  }

  private options(): CookieOptions {
    return { path: '/authorize', httpOnly: true, sameSite: 'lax', secure: this.secure };
  }
}

export interface CookieOptions {
  path: string;
  httpOnly: boolean;
  sameSite: 'lax';
  secure: boolean;
  maxAge?: number;
}
