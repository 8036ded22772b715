import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importPKCS8, jwtVerify, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assertionKeyFor,
  checkCertificate,
  parseCertificate,
  profileDifferences,
  signatureAlgorithmOf,
  type AssertionAlgorithm,
  type CertificateRefusal,
  type ParsedCertificate,
  type RegisteredCertificate,
} from '../../src/app/providers/certificates.ts';

// Every certificate here is made by the openssl CLI in a temporary folder, so that what the module
// reads is compared with what OpenSSL itself says of the same file.
let dir: string;
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const file = (name: string) => readFileSync(join(dir, name), 'utf8');
const readDer = (name: string) => {
  openssl('x509', '-in', `${name}.pem`, '-outform', 'DER', '-out', `${name}.der`);
  return readFileSync(join(dir, `${name}.der`));
};

const KEYS: Record<string, string[]> = {
  p256: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  'p256-other': ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  p384: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'],
  p521: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-521'],
  secp256k1: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:secp256k1'],
  rsa1024: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024'],
  rsa2048: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
  rsa3072: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:3072'],
  ed25519: ['-algorithm', 'ED25519'],
};

/** A self-signed certificate `<name>.pem` for key `<key>.key`, valid from now for a day. */
function selfSigned(name: string, key: string, extra: string[] = []) {
  openssl('req', '-x509', '-key', `${key}.key`, '-subj', `/O=Test Provider/CN=${name}`, '-days', '1', ...extra, '-out', `${name}.pem`);
}

/**
 * OpenSSL 3.0's `req`/`x509` have no option for a start date (`-not_before` came in 3.4), but `ca`
 * takes `-startdate`/`-enddate`: a minimal CA database signs the request with its own key (`-selfsign`).
 */
function dated(name: string, key: string, start: string, end: string) {
  openssl('req', '-new', '-key', `${key}.key`, '-subj', `/CN=${name}`, '-out', `${name}.csr`);
  openssl('ca', '-batch', '-config', 'ca.cnf', '-selfsign', '-keyfile', `${key}.key`, '-in', `${name}.csr`, '-startdate', start, '-enddate', end, '-notext', '-out', `${name}.pem`);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'certificates-'));
  for (const [name, args] of Object.entries(KEYS)) openssl('genpkey', ...args, '-out', `${name}.key`);
  selfSigned('p256', 'p256');
  selfSigned('p384', 'p384');
  selfSigned('p384-sha384', 'p384', ['-sha384']);
  selfSigned('p521', 'p521', ['-sha512']);
  selfSigned('rsa2048', 'rsa2048');
  selfSigned('rsa3072', 'rsa3072');
  selfSigned('ed25519', 'ed25519');
  selfSigned('rsa1024', 'rsa1024');
  selfSigned('secp256k1', 'secp256k1');
  selfSigned('rsa-sha1', 'rsa2048', ['-sha1']);
  selfSigned('server-only', 'p256', ['-addext', 'extendedKeyUsage=serverAuth']);
  selfSigned('client-auth', 'p256', ['-addext', 'extendedKeyUsage=clientAuth']);
  // A P-256 key certified by an RSA authority: the signature algorithm is the issuer's, not the key's.
  selfSigned('rsa-ca', 'rsa2048', ['-addext', 'basicConstraints=critical,CA:TRUE']);
  openssl('req', '-new', '-key', 'p256.key', '-subj', '/CN=issued', '-out', 'issued.csr');
  openssl('x509', '-req', '-in', 'issued.csr', '-CA', 'rsa-ca.pem', '-CAkey', 'rsa2048.key', '-set_serial', '4660', '-days', '1', '-out', 'issued.pem');
  // And the other way round: an Ed25519 authority's signature over a P-384 key, an ECDSA one over an
  // Ed25519 key (whose own key identifier has the same bytes as an Ed25519 signature's).
  selfSigned('ed-ca', 'ed25519', ['-addext', 'basicConstraints=critical,CA:TRUE']);
  openssl('req', '-new', '-key', 'p384.key', '-subj', '/CN=issued-by-ed25519', '-out', 'issued-by-ed25519.csr');
  openssl('x509', '-req', '-in', 'issued-by-ed25519.csr', '-CA', 'ed-ca.pem', '-CAkey', 'ed25519.key', '-set_serial', '2', '-days', '1', '-out', 'issued-by-ed25519.pem');
  selfSigned('ec-ca', 'p256', ['-addext', 'basicConstraints=critical,CA:TRUE']);
  openssl('req', '-new', '-key', 'ed25519.key', '-subj', '/CN=ed25519-by-ec', '-out', 'ed25519-by-ec.csr');
  openssl('x509', '-req', '-in', 'ed25519-by-ec.csr', '-CA', 'ec-ca.pem', '-CAkey', 'p256.key', '-set_serial', '3', '-days', '1', '-out', 'ed25519-by-ec.pem');
  selfSigned('rsa-pss', 'rsa2048', ['-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:32']);
  // Keys as people paste them: the traditional EC form, and one under a passphrase.
  openssl('pkey', '-in', 'p256.key', '-traditional', '-out', 'p256-traditional.key');
  openssl('pkey', '-in', 'p256.key', '-aes256', '-passout', 'pass:secret', '-out', 'p256-encrypted.key');

  mkdirSync(join(dir, 'newcerts'));
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '01\n');
  writeFileSync(join(dir, 'ca.cnf'), ['[ ca ]', 'default_ca = dated', '[ dated ]', 'database = index.txt', 'new_certs_dir = newcerts', 'serial = serial', 'default_md = sha256', 'policy = any_name', 'unique_subject = no', '[ any_name ]', 'commonName = supplied', ''].join('\n'));
  dated('expired', 'p256', '20200101000000Z', '20200201000000Z');
  dated('not-yet-valid', 'p256', '20990101000000Z', '20990201000000Z');
}, 60_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function refusal(run: () => unknown): { reason: CertificateRefusal; message: string } | undefined {
  try {
    run();
  } catch (error) {
    return error as { reason: CertificateRefusal; message: string };
  }
  return undefined;
}

const now = () => new Date();

describe('parseCertificate: what the ledger records agrees with OpenSSL', () => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ['p256', { keyType: 'ec', curve: 'P-256', signatureAlgorithm: 'ecdsa-with-SHA256' }],
    ['p384', { keyType: 'ec', curve: 'P-384', signatureAlgorithm: 'ecdsa-with-SHA256' }],
    ['p384-sha384', { keyType: 'ec', curve: 'P-384', signatureAlgorithm: 'ecdsa-with-SHA384' }],
    ['p521', { keyType: 'ec', curve: 'P-521', signatureAlgorithm: 'ecdsa-with-SHA512' }],
    ['rsa2048', { keyType: 'rsa', modulusBits: 2048, signatureAlgorithm: 'sha256WithRSAEncryption' }],
    ['rsa3072', { keyType: 'rsa', modulusBits: 3072, signatureAlgorithm: 'sha256WithRSAEncryption' }],
    ['ed25519', { keyType: 'ed25519', signatureAlgorithm: 'ED25519' }],
    ['issued', { keyType: 'ec', curve: 'P-256', signatureAlgorithm: 'sha256WithRSAEncryption' }],
    ['issued-by-ed25519', { keyType: 'ec', curve: 'P-384', signatureAlgorithm: 'ED25519' }],
    ['ed25519-by-ec', { keyType: 'ed25519', signatureAlgorithm: 'ecdsa-with-SHA256' }],
    ['rsa-pss', { keyType: 'rsa', modulusBits: 2048, signatureAlgorithm: 'rsassaPss' }],
  ];

  it.each(cases)('%s', (name, profile) => {
    const parsed = parseCertificate(file(`${name}.pem`));
    expect(parsed.profile).toEqual(profile);

    const fingerprint = openssl('x509', '-in', `${name}.pem`, '-noout', '-fingerprint', '-sha256').trim().split('=')[1]!;
    expect(parsed.thumbprintSha256).toBe(Buffer.from(fingerprint.replaceAll(':', ''), 'hex').toString('base64url'));

    const text = openssl('x509', '-in', `${name}.pem`, '-noout', '-text');
    expect(parsed.profile.signatureAlgorithm).toBe(/Signature Algorithm: (\S+)/.exec(text)![1]);
    expect(parsed.serialNumber).toBe(openssl('x509', '-in', `${name}.pem`, '-noout', '-serial').trim().split('=')[1]);
    const dates = openssl('x509', '-in', `${name}.pem`, '-noout', '-startdate', '-enddate');
    expect(parsed.notBefore).toBe(new Date(/notBefore=(.*)/.exec(dates)![1]!).toISOString());
    expect(parsed.notAfter).toBe(new Date(/notAfter=(.*)/.exec(dates)![1]!).toISOString());
    expect(parsed.subject).toContain(`CN=${name}`);
    expect(parsed.publicJwk.kty).toBe({ ed25519: 'OKP', rsa: 'RSA', ec: 'EC' }[profile.keyType as string]);
    expect(parsed.publicJwk).not.toHaveProperty('d');
  });

  it('names the issuer of a certificate an authority signed', () => {
    const parsed = parseCertificate(file('issued.pem'));
    expect(parsed.issuer).toBe('O=Test Provider, CN=rsa-ca');
    expect(parsed.serialNumber).toBe('1234');
  });
});

describe('signatureAlgorithmOf: the algorithm the certificate states, twice alike, or unknown', () => {
  it('names the issuer\'s algorithm, not the subject key\'s', () => {
    expect(signatureAlgorithmOf(readDer('p256'))).toBe('ecdsa-with-SHA256');
    expect(signatureAlgorithmOf(readDer('ed25519'))).toBe('ED25519');
    // A P-256 key certified by an RSA authority: the signature is the authority's.
    expect(signatureAlgorithmOf(readDer('issued'))).toBe('sha256WithRSAEncryption');
  });
  it('says unknown for what is no certificate, and when the two statements differ', () => {
    expect(signatureAlgorithmOf(Buffer.from('no certificate here'))).toBe('unknown');
    const der = readDer('p256');
    const sha256 = Buffer.from('06082a8648ce3d040302', 'hex');
    const outer = der.lastIndexOf(sha256);
    expect(outer).toBeGreaterThan(der.indexOf(sha256));
    // The algorithm beside the signature turned into ECDSA with SHA-384; the signed part still says SHA-256.
    const altered = Buffer.concat([der.subarray(0, outer), Buffer.from('06082a8648ce3d040303', 'hex'), der.subarray(outer + sha256.length)]);
    expect(signatureAlgorithmOf(altered)).toBe('unknown');
  });
});

describe('checkCertificate: what registration refuses', () => {
  it('accepts a strong certificate inside its validity, for either purpose', () => {
    for (const name of ['p256', 'p384', 'p521', 'rsa2048', 'rsa3072', 'ed25519', 'issued']) {
      expect(checkCertificate(file(`${name}.pem`), { now: now(), purpose: 'signing' }).thumbprintSha256).toMatch(/^[A-Za-z0-9_-]{43}$/);
    }
    expect(checkCertificate(file('client-auth.pem'), { now: now(), purpose: 'transport' }).subject).toContain('CN=client-auth');
  });

  it.each([
    ['rsa1024', 'RSA below 2048 bits'],
    ['secp256k1', 'a curve other than P-256/P-384/P-521'],
    ['rsa-sha1', 'a SHA-1 signature'],
  ])('refuses %s as weak (%s)', (name) => {
    expect(refusal(() => checkCertificate(file(`${name}.pem`), { now: now(), purpose: 'signing' }))?.reason).toBe('certificate-weak');
  });

  it('refuses an expired certificate, and takes the same one at a time inside its validity', () => {
    expect(refusal(() => checkCertificate(file('expired.pem'), { now: now(), purpose: 'signing' }))?.reason).toBe('certificate-expired');
    expect(checkCertificate(file('expired.pem'), { now: new Date('2020-01-15T00:00:00Z'), purpose: 'signing' }).notAfter).toBe('2020-02-01T00:00:00.000Z');
  });

  it('refuses a certificate not valid yet', () => {
    expect(refusal(() => checkCertificate(file('not-yet-valid.pem'), { now: now(), purpose: 'signing' }))?.reason).toBe('certificate-not-yet-valid');
    expect(checkCertificate(file('not-yet-valid.pem'), { now: new Date('2099-01-02T00:00:00Z'), purpose: 'signing' }).notBefore).toBe('2099-01-01T00:00:00.000Z');
  });

  it('refuses, as transport, a certificate restricted to TLS servers; it is fine for signing', () => {
    expect(refusal(() => checkCertificate(file('server-only.pem'), { now: now(), purpose: 'transport' }))?.reason).toBe('certificate-purpose-mismatch');
    expect(checkCertificate(file('server-only.pem'), { now: now(), purpose: 'signing' }).profile.curve).toBe('P-256');
  });

  it('refuses anything but one PEM certificate as malformed, without repeating what was sent', () => {
    const cert = file('p256.pem');
    const key = file('p256.key');
    const body = (pem: string) => pem.split('\n')[1]!;
    const der = openssl('x509', '-in', 'p256.pem', '-outform', 'DER');
    const sent: Record<string, string> = {
      'a chain of two': cert + file('p384.pem'),
      'a private key': key,
      'a certificate with its key': cert + key,
      'an RSA private key': file('rsa2048.key'),
      'a traditional EC private key': file('p256-traditional.key'),
      'an encrypted private key': file('p256-encrypted.key'),
      'text around the certificate': `Bag Attributes\n${cert}`,
      'a base64 body without the PEM lines': cert.split('\n').slice(1, -2).join('\n'),
      'a PEM block whose content is not a certificate': cert.replace(body(cert), body(cert).split('').reverse().join('')),
      'DER read as text': der,
      nothing: '',
    };
    expect(sent['a traditional EC private key']).toMatch(/^-----BEGIN EC PRIVATE KEY-----/);
    expect(sent['an encrypted private key']).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
    for (const [what, input] of Object.entries(sent)) {
      const refused = refusal(() => checkCertificate(input, { now: now(), purpose: 'signing' }));
      expect(refused?.reason, what).toBe('certificate-malformed');
      expect(refused!.message, what).not.toContain(body(key).slice(0, 16));
      expect(refused!.message, what).not.toContain(body(cert).slice(0, 16));
    }
    expect(refusal(() => checkCertificate(undefined as unknown as string, { now: now(), purpose: 'signing' }))?.reason).toBe('certificate-malformed');
    expect(refusal(() => checkCertificate(`${cert}\n`.repeat(20).slice(0, 20_000), { now: now(), purpose: 'signing' }))?.reason).toBe('certificate-malformed');
    expect(refusal(() => checkCertificate(key, { now: now(), purpose: 'signing' }))?.message).toMatch(/private key/);
    expect(refusal(() => checkCertificate(cert + file('p384.pem'), { now: now(), purpose: 'signing' }))?.message).toMatch(/more than one certificate/);
  });
});

describe('profileDifferences: the production rule names what differs', () => {
  const profile = (name: string) => parseCertificate(file(`${name}.pem`)).profile;

  it('finds nothing between two certificates of one key type, curve and algorithm', () => {
    expect(profileDifferences(profile('p256'), profile('client-auth'))).toEqual([]);
  });

  it('names the curve, the modulus size, the signature algorithm, or all of them', () => {
    expect(profileDifferences(profile('p256'), profile('p384'))).toEqual(['curve']);
    expect(profileDifferences(profile('rsa2048'), profile('rsa3072'))).toEqual(['modulusBits']);
    expect(profileDifferences(profile('p384'), profile('p384-sha384'))).toEqual(['signatureAlgorithm']);
    expect(profileDifferences(profile('p256'), profile('rsa2048'))).toEqual(['keyType', 'curve', 'modulusBits', 'signatureAlgorithm']);
  });
});

describe('assertionKeyFor: a client assertion verifies against the certificate it names', () => {
  const TOKEN_ENDPOINT = 'https://ledger.test/oauth/token';
  let registered: RegisteredCertificate[];
  const parsed: Record<string, ParsedCertificate> = {};

  beforeAll(() => {
    const register = (certificateId: string, name: string, purpose: 'signing' | 'transport' = 'signing', revoked = false) => {
      parsed[certificateId] = parseCertificate(file(`${name}.pem`));
      return { certificateId, purpose, revoked, ...parsed[certificateId]! };
    };
    registered = [
      register('crt_p256', 'p256'),
      register('crt_p384', 'p384-sha384'),
      register('crt_p521', 'p521'),
      register('crt_rsa', 'rsa3072'),
      register('crt_ed', 'ed25519'),
      register('crt_old', 'expired'),
      register('crt_later', 'not-yet-valid'),
      register('crt_tls', 'client-auth', 'transport'),
      register('crt_gone', 'rsa2048', 'signing', true),
    ];
  });

  async function assertion(keyName: string, alg: string, header: Record<string, string>): Promise<string> {
    const key = await importPKCS8(file(`${keyName}.key`), alg);
    return new SignJWT({})
      .setProtectedHeader({ alg, ...header })
      .setIssuer('prv_test')
      .setSubject('prv_test')
      .setAudience(TOKEN_ENDPOINT)
      .setIssuedAt()
      .setExpirationTime('2m')
      .setJti('assertion-1')
      .sign(key);
  }

  async function verify(jwt: string, header: Record<string, string>) {
    const { key, alg } = assertionKeyFor(registered, header, now());
    return jwtVerify(jwt, key, { algorithms: [alg], issuer: 'prv_test', audience: TOKEN_ENDPOINT });
  }

  it.each([
    ['crt_p256', 'p256', 'ES256'],
    ['crt_p384', 'p384', 'ES384'],
    ['crt_p521', 'p521', 'ES512'],
    ['crt_rsa', 'rsa3072', 'PS256'],
    ['crt_ed', 'ed25519', 'EdDSA'],
  ] as Array<[string, string, AssertionAlgorithm]>)('%s, named by kid, by thumbprint as kid, or by x5t#S256', async (certificateId, keyName, alg) => {
    expect(assertionKeyFor(registered, { kid: certificateId }, now()).alg).toBe(alg);
    const thumbprint = parsed[certificateId]!.thumbprintSha256;
    const headers: Array<Record<string, string>> = [{ kid: certificateId }, { kid: thumbprint }, { 'x5t#S256': thumbprint }, { kid: certificateId, 'x5t#S256': thumbprint }];
    for (const header of headers) {
      const jwt = await assertion(keyName, alg, header);
      expect((await verify(jwt, header)).payload.sub).toBe('prv_test');
    }
  });

  it('does not verify an assertion signed by another key than the named certificate\'s', async () => {
    const jwt = await assertion('p256-other', 'ES256', { kid: 'crt_p256' });
    await expect(verify(jwt, { kid: 'crt_p256' })).rejects.toMatchObject({ code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
  });

  it('holds an RSA certificate to PS256: an RS256 assertion with the right key is refused', async () => {
    const jwt = await assertion('rsa3072', 'RS256', { kid: 'crt_rsa' });
    await expect(verify(jwt, { kid: 'crt_rsa' })).rejects.toMatchObject({ code: 'ERR_JOSE_ALG_NOT_ALLOWED' });
  });

  it('refuses an unknown, expired, not yet valid, revoked or transport certificate, and a header naming two', () => {
    const refused = (header: Record<string, string>) => refusal(() => assertionKeyFor(registered, header, now()))?.reason;
    expect(refused({})).toBe('certificate-unknown');
    expect(refused({ kid: 'crt_nobody' })).toBe('certificate-unknown');
    expect(refused({ 'x5t#S256': parseCertificate(file('rsa1024.pem')).thumbprintSha256 })).toBe('certificate-unknown');
    expect(refused({ kid: 'crt_old' })).toBe('certificate-expired');
    expect(refused({ kid: 'crt_later' })).toBe('certificate-not-yet-valid');
    expect(refused({ kid: 'crt_gone' })).toBe('certificate-revoked');
    expect(refused({ kid: 'crt_tls' })).toBe('certificate-unknown');
    expect(refused({ kid: 'crt_p256', 'x5t#S256': parsed['crt_ed']!.thumbprintSha256 })).toBe('certificate-unknown');
  });
});
