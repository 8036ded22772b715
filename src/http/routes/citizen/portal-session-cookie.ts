import type { CookieOptions } from './transaction-cookie.ts';

/**
 * Where the browser keeps the portal session token: an HttpOnly, SameSite=Lax cookie for the whole
 * site, `__Host-` prefixed over HTTPS (only this host and path, so no sibling host can plant one).
 */
export class PortalSessionCookie {
  readonly name: string;

  constructor(private readonly secure: boolean) {
    this.name = secure ? '__Host-ledger_portal' : 'ledger_portal';
  }

  /** The session token the request carries, if any. */
  tokenOf(cookies: Record<string, string | undefined>): string | undefined {
    return cookies[this.name];
  }

  /** Options of a cookie that lapses with the session. */
  setting(ttlMs: number): CookieOptions {
    return { ...this.clearing(), maxAge: Math.floor(ttlMs / 1000) };
  }

  /** Options that clear the cookie (same path, so the browser matches it). */
  clearing(): CookieOptions {
    return { path: '/', httpOnly: true, sameSite: 'lax', secure: this.secure };
  }
}
