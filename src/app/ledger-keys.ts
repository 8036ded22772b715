import { createPrivateKey, createPublicKey, hkdfSync, type KeyObject, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import { ed25519Signer, formatVerifierKey, type NoteSigner, rawEd25519PublicKey } from '../../tlog/index.ts';

/** One of the ledger's own token-signing keys (Ed25519). */
export interface SigningKey {
  kid: string;
  createdAt: string;
  privateJwk: JWK;
}

/** Secrets the ledger derives verifiers, pseudonyms, cookies and captchas from. Never logged. */
export interface LedgerSecrets {
  codeVerifierKey: Buffer;
  pseudonymKey: Buffer;
  cookieKey: Buffer;
  captchaKey: Buffer;
  /** Seals a code while its delivery task waits in the task queue (Redis, in production). */
  deliveryKey: Buffer;
  /** The Ed25519 seed of the key that signs the log's checkpoints (see `logSigner`). */
  logKey: Buffer;
}

/** A signing key taken out of service: its private part is gone, its public key stays published. */
export interface RetiredKey {
  kid: string;
  createdAt: string;
  retiredAt: string;
  publicJwk: JWK;
}

interface KeyFile {
  signing: SigningKey[];
  /** Keys rotated out, oldest first; files written before retirement existed lack it. */
  retired?: RetiredKey[];
  /** Key files written before a secret existed lack it: see `derivedSecrets`. */
  secrets: Partial<Record<keyof LedgerSecrets, string>>;
}

const SECRET_NAMES: Array<keyof LedgerSecrets> = ['codeVerifierKey', 'pseudonymKey', 'cookieKey', 'captchaKey', 'deliveryKey', 'logKey'];

/**
 * Secrets added after the first key files were written: a file without one derives it from a secret
 * it has (HKDF-SHA-256, its own label), so every process reading the same file agrees on it without
 * the file being rewritten. New files get a random one.
 */
const derivedSecrets: Partial<Record<keyof LedgerSecrets, { from: keyof LedgerSecrets; label: string }>> = {
  deliveryKey: { from: 'codeVerifierKey', label: 'act-ledger delivery key v1' },
  logKey: { from: 'codeVerifierKey', label: 'act-ledger log checkpoint key v1' },
};

/**
 * The ledger's key material, kept in `<dataDir>/ledger-keys.json` (mode 0600), made on first start.
 * The newest signing key signs; older ones stay published so tokens they signed still verify.
 */
export class LedgerKeys {
  private constructor(
    private readonly file: string | undefined,
    private data: KeyFile,
  ) {}

  static async open(dataDir: string): Promise<LedgerKeys> {
    const file = join(dataDir, 'ledger-keys.json');
    if (existsSync(file)) return new LedgerKeys(file, JSON.parse(readFileSync(file, 'utf8')) as KeyFile);
    const keys = new LedgerKeys(file, { signing: [await newSigningKey()], secrets: freshSecrets() });
    keys.save();
    return keys;
  }

  /** Key material that lives only in memory (tests, the OpenAPI generator). */
  static async ephemeral(): Promise<LedgerKeys> {
    return new LedgerKeys(undefined, { signing: [await newSigningKey()], secrets: freshSecrets() });
  }

  get secrets(): LedgerSecrets {
    return Object.fromEntries(SECRET_NAMES.map((n) => [n, this.secret(n)])) as unknown as LedgerSecrets;
  }

  private secret(name: keyof LedgerSecrets): Buffer {
    const stored = this.data.secrets[name];
    if (stored !== undefined) return Buffer.from(stored, 'base64');
    const derivation = derivedSecrets[name];
    if (!derivation) throw new Error(`the key file has no ${name}`);
    return Buffer.from(hkdfSync('sha256', this.secret(derivation.from), Buffer.alloc(0), derivation.label, 32));
  }

  /** The key that signs new tokens. */
  get current(): SigningKey {
    return this.data.signing.at(-1)!;
  }

  get all(): readonly SigningKey[] {
    return this.data.signing;
  }

  /**
   * Adds a new signing key and keeps the newest `keep` in service; older ones are retired: their
   * private part is erased, their public key stays published, since receipts and record exports they
   * signed must verify for years. Tokens verify only against keys in service (`tokenJwks`).
   */
  async rotate(keep = 3): Promise<SigningKey> {
    const key = await newSigningKey();
    const signing = [...this.data.signing, key];
    const retiredAt = new Date().toISOString();
    const leaving = signing
      .slice(0, Math.max(0, signing.length - keep))
      .map(({ kid, createdAt, privateJwk }): RetiredKey => ({ kid, createdAt, retiredAt, publicJwk: publicPart(privateJwk) }));
    this.data = { ...this.data, signing: signing.slice(-keep), retired: [...(this.data.retired ?? []), ...leaving] };
    this.save();
    return key;
  }

  /** Keys rotated out of service, oldest first. */
  get retired(): readonly RetiredKey[] {
    return this.data.retired ?? [];
  }

  /**
   * The log's checkpoint signer, as a C2SP signed-note Ed25519 key named `origin` (the key name is
   * the log's origin line). One key for the ledger's life: every checkpoint and receipt ever handed
   * out verifies with the one `vkey` published for it.
   */
  logSigner(origin: string): NoteSigner {
    return ed25519Signer(origin, this.logPrivateKey());
  }

  /** The verifier key of `logSigner(origin)`, in C2SP vkey form (`<name>+<key id>+<base64>`). */
  logVerifierKey(origin: string): string {
    return formatVerifierKey(origin, rawEd25519PublicKey(createPublicKey(this.logPrivateKey())));
  }

  private logPrivateKey(): KeyObject {
    // PKCS #8 for an Ed25519 seed is a fixed 16-byte prefix and the 32-byte seed (RFC 8410).
    const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), this.secret('logKey')]);
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  }

  /**
   * The public JWK set, as served at /.well-known/jwks.json: the keys in service, then the retired
   * ones (marked `retired`), which receipts and exports signed long ago still need.
   */
  publicJwks(): { keys: JWK[] } {
    const retired = this.retired.map(({ kid, publicJwk }) => ({ ...publicJwk, kid, alg: 'EdDSA', use: 'sig', retired: true }));
    return { keys: [...this.tokenJwks().keys, ...retired] };
  }

  /** Only the keys in service: what the ledger's own access tokens verify against. */
  tokenJwks(): { keys: JWK[] } {
    return { keys: this.data.signing.map(({ kid, privateJwk }) => ({ ...publicPart(privateJwk), kid, alg: 'EdDSA', use: 'sig' })) };
  }

  private save(): void {
    if (!this.file) return;
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.data, null, 2), { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, this.file);
  }
}

function publicPart(privateJwk: JWK): JWK {
  const { d: _d, ...pub } = privateJwk;
  return pub;
}

async function newSigningKey(): Promise<SigningKey> {
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = `ledger-${new Date().toISOString().slice(0, 10)}-${randomBytes(4).toString('hex')}`;
  await importJWK(jwk, 'EdDSA'); // fail early on a key jose cannot use
  return { kid, createdAt: new Date().toISOString(), privateJwk: jwk };
}

function freshSecrets(): Record<keyof LedgerSecrets, string> {
  return Object.fromEntries(SECRET_NAMES.map((n) => [n, randomBytes(32).toString('base64')])) as Record<keyof LedgerSecrets, string>;
}
