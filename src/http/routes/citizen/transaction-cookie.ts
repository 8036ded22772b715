import { hkdfSync } from 'node:crypto';
import { EncryptJWT, jwtDecrypt } from 'jose';
import type { AuthorizationTransaction } from '../../../app/acts/authorization-by-authentication.ts';
import type { AuthenticationTransaction } from '../../../ports/identity-provider.ts';

/** Identity provider `state` values the ledger makes: 16 random bytes, base64url. */
const STATE = /^[A-Za-z0-9_-]{22}$/;

/** What any transaction kept in such a cookie has: the identity provider's transaction and a deadline. */
export interface CookieTransaction {
  authentication: AuthenticationTransaction;
  /** Epoch ms. */
  expiresAt: number;
}

/** Where a kind of transaction's cookies live, and the key purpose that keeps kinds apart. */
export interface TransactionCookieKind {
  path: string;
  prefix: string;
  purpose: string;
}

export const AUTHORIZATION_COOKIES: TransactionCookieKind = { path: '/authorize', prefix: 'ledger_authz_', purpose: 'act-ledger/authorization-transaction' };

/**
 * The authorization transaction, kept in the browser that started it: encrypted and authenticated
 * (JWE dir + A256GCM, key derived from the ledger's cookie key), short-lived, HttpOnly, SameSite=Lax.
 * One cookie per transaction, named after its state, so two tabs do not overwrite each other.
 * The authorization SeP's kind is the default; the portal's sign-in uses its own kind.
 */
export class TransactionCookie<T extends CookieTransaction = AuthorizationTransaction> {
  private readonly key: Uint8Array;

  constructor(
    cookieKey: Buffer,
    private readonly secure: boolean,
    private readonly clock: () => Date,
    private readonly kind: TransactionCookieKind = AUTHORIZATION_COOKIES,
  ) {
    this.key = new Uint8Array(hkdfSync('sha256', cookieKey, new Uint8Array(0), kind.purpose, 32));
  }

  /** The cookie's name for a callback's `state`; undefined when the state is not one the ledger makes. */
  nameFor(state: unknown): string | undefined {
    return typeof state === 'string' && STATE.test(state) ? `${this.kind.prefix}${state}` : undefined;
  }

  async seal(transaction: T): Promise<{ name: string; value: string; options: CookieOptions }> {
    const value = await new EncryptJWT({ tx: transaction })
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .setExpirationTime(Math.floor(transaction.expiresAt / 1000))
      .encrypt(this.key);
    const maxAge = Math.max(1, Math.ceil((transaction.expiresAt - this.clock().getTime()) / 1000));
    return { name: `${this.kind.prefix}${transaction.authentication.state}`, value, options: { ...this.options(), maxAge } };
  }

  /** The transaction a cookie holds for `state`; undefined when tampered with, expired or for another state. */
  async open(value: string | undefined, state: string): Promise<T | undefined> {
    if (!value) return undefined;
    try {
      const { payload } = await jwtDecrypt<{ tx: T }>(value, this.key, { currentDate: this.clock() });
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
    return { path: this.kind.path, httpOnly: true, sameSite: 'lax', secure: this.secure };
  }
}

export interface CookieOptions {
  path: string;
  httpOnly: boolean;
  sameSite: 'lax';
  secure: boolean;
  maxAge?: number;
}
