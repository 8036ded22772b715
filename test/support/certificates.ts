import { execFileSync } from 'node:child_process';
import { createHash, createPrivateKey, randomUUID, X509Certificate } from 'node:crypto';
import { SignJWT } from 'jose';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Certificates made by the openssl CLI in a temporary folder, for tests that register them through
 * the API. `current` is valid from now for a day; `dated` takes start and end (YYYYMMDDHHMMSSZ),
 * which OpenSSL 3.0's `req` cannot set but a minimal `ca` database can (`-selfsign`).
 */
export type TestKeyType = 'P-256' | 'P-384' | 'rsa-2048' | 'rsa-3072' | 'ed25519';

export class TestCertificates {
  readonly dir = mkdtempSync(join(tmpdir(), 'test-certificates-'));
  private serial = 0;
  /** Each certificate's private key file, by certificate name. */
  private readonly keys = new Map<string, string>();

  constructor() {
    mkdirSync(join(this.dir, 'newcerts'));
    writeFileSync(join(this.dir, 'index.txt'), '');
    writeFileSync(join(this.dir, 'serial'), '01\n');
    writeFileSync(
      join(this.dir, 'ca.cnf'),
      ['[ ca ]', 'default_ca = dated', '[ dated ]', 'database = index.txt', 'new_certs_dir = newcerts', 'serial = serial', 'default_md = sha256', 'policy = any_name', 'unique_subject = no', '[ any_name ]', 'commonName = supplied', ''].join('\n'),
    );
  }

  /** A self-signed certificate (P-256 unless asked) valid from now for `days` (one), as PEM. */
  current(name: string, keyType: TestKeyType = 'P-256', days = 1): string {
    const key = this.key(keyType);
    this.keys.set(name, key);
    this.openssl('req', '-x509', '-key', key, '-subj', `/O=Test Provider/CN=${name}`, '-days', String(days), '-out', `${name}.pem`);
    return this.read(`${name}.pem`);
  }

  /** A certificate authority (P-256, self-signed, ten days), for issuing TLS certificates under it. */
  authority(name: string): string {
    const key = this.key('P-256');
    this.keys.set(name, key);
    this.openssl('req', '-x509', '-key', key, '-subj', `/O=Test CA/CN=${name}`, '-days', '10', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign', '-out', `${name}.pem`);
    return this.read(`${name}.pem`);
  }

  /**
   * A certificate `authority` (made by `authority`) issued for `name`: a TLS client (extended key usage
   * clientAuth) or a server for localhost (serverAuth, subjectAltName localhost and 127.0.0.1).
   */
  issued(name: string, authority: string, use: 'client' | 'server', keyType: TestKeyType = 'P-256'): string {
    const key = this.key(keyType);
    this.keys.set(name, key);
    const extensions = use === 'client'
      ? 'extendedKeyUsage=clientAuth\n'
      : 'extendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n';
    writeFileSync(join(this.dir, `${name}.ext`), extensions);
    this.openssl('req', '-new', '-key', key, '-subj', `/O=Test Provider/CN=${name}`, '-out', `${name}.csr`);
    this.openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${authority}.pem`, '-CAkey', this.keys.get(authority)!, '-CAcreateserial', '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.pem`);
    return this.read(`${name}.pem`);
  }

  /** The private key of certificate `name`, as PEM. */
  privateKey(name: string): string {
    const key = this.keys.get(name);
    if (!key) throw new Error(`no key for certificate ${name}`);
    return this.read(key);
  }

  /** Where certificate `name` (or its key) lies, for servers and clients that take files. */
  file(name: string, what: 'certificate' | 'key' = 'certificate'): string {
    return join(this.dir, what === 'certificate' ? `${name}.pem` : this.keys.get(name)!);
  }

  /** A P-256 certificate valid from `start` to `end` (YYYYMMDDHHMMSSZ), as PEM. */
  dated(name: string, start: string, end: string): string {
    const key = this.key();
    this.keys.set(name, key);
    this.openssl('req', '-new', '-key', key, '-subj', `/CN=${name}`, '-out', `${name}.csr`);
    this.openssl('ca', '-batch', '-config', 'ca.cnf', '-selfsign', '-keyfile', key, '-in', `${name}.csr`, '-startdate', start, '-enddate', end, '-notext', '-out', `${name}.pem`);
    return this.read(`${name}.pem`);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private key(keyType: TestKeyType = 'P-256'): string {
    const name = `key-${++this.serial}.key`;
    const options: Record<TestKeyType, string[]> = {
      'P-256': ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
      'P-384': ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'],
      'rsa-2048': ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
      'rsa-3072': ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:3072'],
      ed25519: ['-algorithm', 'ED25519'],
    };
    this.openssl('genpkey', ...options[keyType], '-out', name);
    return name;
  }

  private read(name: string): string {
    return readFileSync(join(this.dir, name), 'utf8');
  }

  private openssl(...args: string[]): void {
    execFileSync('openssl', args, { cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] });
  }
}

/** RFC 8705's `x5t#S256` of a PEM certificate: SHA-256 of its DER, base64url. */
export function thumbprintOf(pem: string): string {
  return createHash('sha256').update(new X509Certificate(pem).raw).digest('base64url');
}

/**
 * A client assertion signed with a certificate's private key, naming the certificate by `x5t#S256`
 * (or by what `header` says instead), for `audience` (the token endpoint's URL).
 */
export async function certificateAssertion(
  options: { providerId: string; privateKeyPem: string; certificatePem: string; alg: string; audience: string; header?: Record<string, unknown> },
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const key = createPrivateKey(options.privateKeyPem);
  return new SignJWT({})
    .setProtectedHeader({ alg: options.alg, 'x5t#S256': thumbprintOf(options.certificatePem), ...options.header })
    .setIssuer(options.providerId)
    .setSubject(options.providerId)
    .setAudience(options.audience)
    .setJti(randomUUID())
    .setIssuedAt(now)
    .setExpirationTime(now + 120)
    .sign(key);
}
