import { hkdfSync, randomUUID } from 'node:crypto';
import { EncryptJWT, jwtDecrypt } from 'jose';
import type { ReplayGuard } from '../../../ports/replay-guard.ts';
import type { CookieOptions } from './transaction-cookie.ts';

/** Where signed-out sessions are remembered until they would have expired. */
const SIGNED_OUT = 'portal-signed-out';

interface OpenedSession {
  aifo: string;
  sessionId: string;
  /** Epoch ms. */
  expiresAt: number;
}

/**
 * A citizen's portal session: the AIFO and a session id, encrypted and authenticated (JWE dir +
 * A256GCM under a key derived from the ledger's cookie key), in an HttpOnly, SameSite=Lax cookie
 * that expires on its own. The AIFO never leaves the ledger readable. Signing out remembers the
 * session id until its expiry, so a copy of the cookie taken before is refused too.
 */
export class PortalSession {
  readonly name: string;
  private readonly key: Uint8Array;

  constructor(
    cookieKey: Buffer,
    private readonly secure: boolean,
    private readonly ttlMs: number,
    private readonly clock: () => Date,
    private readonly signedOut: Pick<ReplayGuard, 'consume' | 'seen'>,
  ) {
    this.key = new Uint8Array(hkdfSync('sha256', cookieKey, new Uint8Array(0), 'act-ledger/portal-session', 32));
    // __Host-: only over HTTPS, for this host and path only, so no sibling host can plant one.
    this.name = secure ? '__Host-ledger_portal' : 'ledger_portal';
  }

  async issue(aifo: string): Promise<{ value: string; options: CookieOptions }> {
    const now = this.clock().getTime();
    const value = await new EncryptJWT({ aifo })
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .setJti(randomUUID())
      .setIssuedAt(Math.floor(now / 1000))
      .setExpirationTime(Math.floor((now + this.ttlMs) / 1000))
      .encrypt(this.key);
    return { value, options: { ...this.options(), maxAge: Math.floor(this.ttlMs / 1000) } };
  }

  /** The AIFO of a valid session cookie; undefined when absent, tampered with, expired or signed out. */
  async aifoOf(cookies: Record<string, string | undefined>): Promise<string | undefined> {
    const session = await this.open(cookies);
    if (!session || (await this.signedOut.seen(SIGNED_OUT, session.sessionId))) return undefined;
    return session.aifo;
  }

  /** Ends the session of this cookie for good (a copy of it is refused as well); nothing happens without a valid one. */
  async signOut(cookies: Record<string, string | undefined>): Promise<void> {
    const session = await this.open(cookies);
    if (session) await this.signedOut.consume(SIGNED_OUT, session.sessionId, session.expiresAt);
  }

  private async open(cookies: Record<string, string | undefined>): Promise<OpenedSession | undefined> {
    const value = cookies[this.name];
    if (!value) return undefined;
    try {
      const { payload } = await jwtDecrypt<{ aifo: unknown }>(value, this.key, { currentDate: this.clock(), requiredClaims: ['exp', 'jti'] });
      if (typeof payload.aifo !== 'string') return undefined;
      return { aifo: payload.aifo, sessionId: payload.jti!, expiresAt: payload.exp! * 1000 };
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
