import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Certificates made by the openssl CLI in a temporary folder, for tests that register them through
 * the API. `current` is valid from now for a day; `dated` takes start and end (YYYYMMDDHHMMSSZ),
 * which OpenSSL 3.0's `req` cannot set but a minimal `ca` database can (`-selfsign`).
 */
export class TestCertificates {
  private readonly dir = mkdtempSync(join(tmpdir(), 'test-certificates-'));
  private serial = 0;

  constructor() {
    mkdirSync(join(this.dir, 'newcerts'));
    writeFileSync(join(this.dir, 'index.txt'), '');
    writeFileSync(join(this.dir, 'serial'), '01\n');
    writeFileSync(
      join(this.dir, 'ca.cnf'),
      ['[ ca ]', 'default_ca = dated', '[ dated ]', 'database = index.txt', 'new_certs_dir = newcerts', 'serial = serial', 'default_md = sha256', 'policy = any_name', 'unique_subject = no', '[ any_name ]', 'commonName = supplied', ''].join('\n'),
    );
  }

  /** A P-256 self-signed certificate valid from now for a day, as PEM. */
  current(name: string): string {
    const key = this.key();
    this.openssl('req', '-x509', '-key', key, '-subj', `/O=Test Provider/CN=${name}`, '-days', '1', '-out', `${name}.pem`);
    return this.read(`${name}.pem`);
  }

  /** A P-256 certificate valid from `start` to `end` (YYYYMMDDHHMMSSZ), as PEM. */
  dated(name: string, start: string, end: string): string {
    const key = this.key();
    this.openssl('req', '-new', '-key', key, '-subj', `/CN=${name}`, '-out', `${name}.csr`);
    this.openssl('ca', '-batch', '-config', 'ca.cnf', '-selfsign', '-keyfile', key, '-in', `${name}.csr`, '-startdate', start, '-enddate', end, '-notext', '-out', `${name}.pem`);
    return this.read(`${name}.pem`);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private key(): string {
    const name = `key-${++this.serial}.key`;
    this.openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', name);
    return name;
  }

  private read(name: string): string {
    return readFileSync(join(this.dir, name), 'utf8');
  }

  private openssl(...args: string[]): void {
    execFileSync('openssl', args, { cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] });
  }
}
