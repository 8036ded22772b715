import { createHmac, hkdfSync, randomUUID, timingSafeEqual } from 'node:crypto';
import { EncryptJWT, jwtDecrypt } from 'jose';
import type { ReplayGuard } from '../../ports/replay-guard.ts';

/** Where signed-out sessions are remembered until they would have expired. */
const SIGNED_OUT = 'portal-signed-out';

interface OpenedSession {
  aifo: string;
  sessionId: string;
  /** Epoch ms. */
  expiresAt: number;
}

export interface PortalSessionsOptions {
  /** The ledger's cookie key; the sessions' own key is derived from it. */
  cookieKey: Buffer;
  ttlMs: number;
  clock: () => Date;
  /** Remembers signed-out session ids until they would have expired. */
  replayGuard: Pick<ReplayGuard, 'consume' | 'seen'>;
}

/**
 * A citizen's portal session: the AIFO and a session id, encrypted and authenticated (JWE dir +
 * A256GCM under a key derived from the ledger's cookie key), carried by the browser in a cookie
 * that expires on its own (the HTTP edge sets it). The AIFO never leaves the ledger readable.
 * Signing out remembers the session id until its expiry, so a copy of the token taken before is
 * refused too.
 */
export class PortalSessions {
  readonly ttlMs: number;
  private readonly key: Uint8Array;
  private readonly formKey: Uint8Array;
  private readonly clock: () => Date;
  private readonly signedOut: Pick<ReplayGuard, 'consume' | 'seen'>;

  constructor(options: PortalSessionsOptions) {
    this.key = new Uint8Array(hkdfSync('sha256', options.cookieKey, new Uint8Array(0), 'act-ledger/portal-session', 32));
    this.formKey = new Uint8Array(hkdfSync('sha256', options.cookieKey, new Uint8Array(0), 'act-ledger/portal-form', 32));
    this.ttlMs = options.ttlMs;
    this.clock = options.clock;
    this.signedOut = options.replayGuard;
  }

  /** A new session for this citizen: the sealed token, valid for `ttlMs`. */
  async issue(aifo: string): Promise<string> {
    const now = this.clock().getTime();
    return new EncryptJWT({ aifo })
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .setJti(randomUUID())
      .setIssuedAt(Math.floor(now / 1000))
      .setExpirationTime(Math.floor((now + this.ttlMs) / 1000))
      .encrypt(this.key);
  }

  /** The AIFO of a valid session token; undefined when absent, tampered with, expired or signed out. */
  async citizenOf(token: string | undefined): Promise<string | undefined> {
    return (await this.sessionOf(token))?.aifo;
  }

  /**
   * The citizen of a valid session token, when the session lapses (epoch ms), and the token the
   * portal's forms carry for it: an HMAC of the session id, so a form posted from another site
   * (which cannot read the page) carries none that matches, whatever cookies the browser sends
   * along. Undefined as for `citizenOf`.
   */
  async sessionOf(token: string | undefined): Promise<{ aifo: string; expiresAt: number; formToken: string } | undefined> {
    const session = await this.open(token);
    if (!session || (await this.signedOut.seen(SIGNED_OUT, session.sessionId))) return undefined;
    return { aifo: session.aifo, expiresAt: session.expiresAt, formToken: this.formTokenOf(session.sessionId) };
  }

  /** The signed-in citizen when `formToken` is this session's form token; undefined otherwise. */
  async citizenOfForm(token: string | undefined, formToken: string | undefined): Promise<string | undefined> {
    const session = await this.sessionOf(token);
    if (!session || typeof formToken !== 'string') return undefined;
    const given = Buffer.from(formToken);
    const expected = Buffer.from(session.formToken);
    return given.length === expected.length && timingSafeEqual(given, expected) ? session.aifo : undefined;
  }

  private formTokenOf(sessionId: string): string {
    return createHmac('sha256', this.formKey).update(sessionId).digest('base64url');
  }

  /** Ends the session of this token for good (a copy of it is refused as well); nothing happens without a valid one. */
  async signOut(token: string | undefined): Promise<void> {
    const session = await this.open(token);
    if (session) await this.signedOut.consume(SIGNED_OUT, session.sessionId, session.expiresAt);
  }

  private async open(token: string | undefined): Promise<OpenedSession | undefined> {
    if (!token) return undefined;
    try {
      const { payload } = await jwtDecrypt<{ aifo: unknown }>(token, this.key, { currentDate: this.clock(), requiredClaims: ['exp', 'jti'] });
      if (typeof payload.aifo !== 'string') return undefined;
      return { aifo: payload.aifo, sessionId: payload.jti!, expiresAt: payload.exp! * 1000 };
    } catch {
      return undefined;
    }
  }
}
