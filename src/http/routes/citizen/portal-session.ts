import { hkdfSync } from 'node:crypto';
import { EncryptJWT, jwtDecrypt } from 'jose';
import type { CookieOptions } from './transaction-cookie.ts';

/**
 * A citizen's portal session: the AIFO, encrypted and authenticated (JWE dir + A256GCM under a key
 * derived from the ledger's cookie key), in an HttpOnly, SameSite=Lax cookie that expires on its own.
 * The AIFO never leaves the ledger readable; nothing is kept server-side.
 */
export class PortalSession {
  readonly name: string;
  private readonly key: Uint8Array;

  constructor(
    cookieKey: Buffer,
    private readonly secure: boolean,
    private readonly ttlMs: number,
    private readonly clock: () => Date,
  ) {
    this.key = new Uint8Array(hkdfSync('sha256', cookieKey, new Uint8Array(0), 'act-ledger/portal-session', 32));
    // __Host-: only over HTTPS, for this host and path only, so no sibling host can plant one.
    this.name = secure ? '__Host-ledger_portal' : 'ledger_portal';
  }

  async issue(aifo: string): Promise<{ value: string; options: CookieOptions }> {
    const now = this.clock().getTime();
    const value = await new EncryptJWT({ aifo })
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .setIssuedAt(Math.floor(now / 1000))
      .setExpirationTime(Math.floor((now + this.ttlMs) / 1000))
      .encrypt(this.key);
    return { value, options: { ...this.options(), maxAge: Math.floor(this.ttlMs / 1000) } };
  }

  /** The AIFO of a valid session cookie; undefined when absent, tampered with or expired. */
  async aifoOf(cookies: Record<string, string | undefined>): Promise<string | undefined> {
    const value = cookies[this.name];
    if (!value) return undefined;
    try {
      const { payload } = await jwtDecrypt<{ aifo: unknown }>(value, this.key, { currentDate: this.clock(), requiredClaims: ['exp'] });
      return typeof payload.aifo === 'string' ? payload.aifo : undefined;
    } catch {
      return undefined;
    }
  }

  clearing(): CookieOptions {
    return this.options();
  }

  private options(): CookieOptions {
    return { path: '/', httpOnly: true, sameSite: 'lax', secure: this.secure };
  }
}
