import { createHash, createPublicKey, X509Certificate, type JsonWebKey, type KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import type { CertificatePurpose, CertificateProfile as RecordedProfile } from '../../../events/provider.ts';
import { profileDifferences } from '../../../commands/provider-onboarding.ts';

/**
 * Providers' X.509 certificates: what the ledger records of one (thumbprint, names, validity, technical
 * profile, public key), the checks before it is registered, the production rule on profiles, and the
 * key a client assertion is verified with. Parsing is node:crypto's X509Certificate, and
 * @peculiar/asn1-x509 for the one field node does not expose; nothing here reads ASN.1 by hand.
 */

export type { CertificatePurpose };

/** The profile the events record (events/provider.ts), as parsing finds it: named curves, OpenSSL's algorithm names. */
export interface CertificateProfile extends RecordedProfile {
  curve?: 'P-256' | 'P-384' | 'P-521';
  /** OpenSSL's name for the algorithm the issuer signed the certificate with (see signatureAlgorithmOf). */
  signatureAlgorithm: SignatureAlgorithm;
}

export interface ParsedCertificate {
  /** SHA-256 of the DER certificate, base64url: RFC 8705's `x5t#S256`. */
  thumbprintSha256: string;
  /** The subject's and issuer's names as node prints them, one attribute per part, joined by ", ". */
  subject: string;
  issuer: string;
  /** Upper-case hex, as node and OpenSSL print it. */
  serialNumber: string;
  /** ISO 8601 instants. */
  notBefore: string;
  notAfter: string;
  profile: CertificateProfile;
  publicJwk: JsonWebKey;
}

export type CertificateRefusal =
  | 'certificate-malformed'
  | 'certificate-weak'
  | 'certificate-expired'
  | 'certificate-not-yet-valid'
  | 'certificate-purpose-mismatch'
  | 'certificate-unknown'
  | 'certificate-revoked';

/** Why a certificate was refused; the message never repeats what was sent. */
export class CertificateRefusedError extends Error {
  override readonly name = 'CertificateRefusedError';
  constructor(
    readonly reason: CertificateRefusal,
    message: string,
  ) {
    super(message);
  }
}

// A pasted certificate is a few kilobytes; anything much larger is not one.
const MAX_PEM_LENGTH = 16_384;
const PEM_BLOCK = /^-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----$/;
const MIN_RSA_BITS = 2048;
const CURVES = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' } as const;
// RFC 5280 id-kp-clientAuth: a transport certificate is presented by the provider as a TLS client.
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

/**
 * Signature algorithms by object identifier (RFC 3279, 4055, 5758, 8410), with the names
 * `openssl x509 -text` prints. RSASSA-PSS carries its hash in parameters, which are not read.
 */
const SIGNATURE_ALGORITHMS = {
  'ecdsa-with-SHA256': '1.2.840.10045.4.3.2',
  'ecdsa-with-SHA384': '1.2.840.10045.4.3.3',
  'ecdsa-with-SHA512': '1.2.840.10045.4.3.4',
  'ecdsa-with-SHA1': '1.2.840.10045.4.1',
  'sha256WithRSAEncryption': '1.2.840.113549.1.1.11',
  'sha384WithRSAEncryption': '1.2.840.113549.1.1.12',
  'sha512WithRSAEncryption': '1.2.840.113549.1.1.13',
  'sha1WithRSAEncryption': '1.2.840.113549.1.1.5',
  'md5WithRSAEncryption': '1.2.840.113549.1.1.4',
  rsassaPss: '1.2.840.113549.1.1.10',
  ED25519: '1.3.101.112',
} as const;
export type SignatureAlgorithm = keyof typeof SIGNATURE_ALGORITHMS | 'unknown';
const BROKEN_SIGNATURES: SignatureAlgorithm[] = ['ecdsa-with-SHA1', 'sha1WithRSAEncryption', 'md5WithRSAEncryption', 'unknown'];

/**
 * Reads one PEM certificate. Refuses (`certificate-malformed`) anything but exactly one certificate
 * block: a chain, a private key pasted by mistake, stray text; and (`certificate-weak`) a key of a
 * type or curve the profile cannot name (DSA, secp256k1, Ed448, RSA-PSS-only keys).
 */
export function parseCertificate(pem: string): ParsedCertificate {
  return inspect(pem).parsed;
}

function inspect(pem: string): { parsed: ParsedCertificate; extendedKeyUsage: string[] | undefined } {
  const cert = readCertificate(pem);
  const key = cert.publicKey;
  const signatureAlgorithm = signatureAlgorithmOf(cert.raw);
  const profile = profileOf(key, signatureAlgorithm);
  const notBefore = new Date(cert.validFrom);
  const notAfter = new Date(cert.validTo);
  if (Number.isNaN(notBefore.getTime()) || Number.isNaN(notAfter.getTime())) {
    throw new CertificateRefusedError('certificate-malformed', 'certificate validity dates cannot be read');
  }
  const parsed: ParsedCertificate = {
    thumbprintSha256: createHash('sha256').update(cert.raw).digest('base64url'),
    subject: oneLine(cert.subject),
    issuer: oneLine(cert.issuer),
    serialNumber: cert.serialNumber.toUpperCase(),
    notBefore: notBefore.toISOString(),
    notAfter: notAfter.toISOString(),
    profile,
    publicJwk: key.export({ format: 'jwk' }),
  };
  // Node's `keyUsage` is the extended key usage OIDs, undefined when the extension is absent.
  return { parsed, extendedKeyUsage: cert.keyUsage };
}

/**
 * Everything checked before a certificate is registered: one well-formed certificate, a strong key
 * and signature, valid at `now`, and for `transport` an extended key usage allowing TLS client
 * authentication when the certificate restricts it at all.
 */
export function checkCertificate(pem: string, options: { now: Date | number; purpose: CertificatePurpose }): ParsedCertificate {
  const { parsed, extendedKeyUsage } = inspect(pem);
  const { profile } = parsed;
  if (profile.keyType === 'rsa' && (profile.modulusBits ?? 0) < MIN_RSA_BITS) {
    throw new CertificateRefusedError('certificate-weak', `RSA keys must have at least ${MIN_RSA_BITS} bits`);
  }
  if (BROKEN_SIGNATURES.includes(profile.signatureAlgorithm)) {
    throw new CertificateRefusedError('certificate-weak', 'certificate signature algorithm is not accepted (SHA-1, MD5 or not recognised)');
  }
  refuseOutsideValidity(parsed, new Date(options.now).getTime());
  if (options.purpose === 'transport') {
    // A certificate without the extension is not restricted.
    if (extendedKeyUsage && !extendedKeyUsage.includes(CLIENT_AUTH)) {
      throw new CertificateRefusedError('certificate-purpose-mismatch', 'transport certificate does not allow TLS client authentication');
    }
  }
  return parsed;
}

/** The production rule (the members in which two profiles differ; none when a production certificate matches the integration one) is the decider's. */
export { profileDifferences };

/** A certificate as registered for a provider, as the assertion check needs it. */
export interface RegisteredCertificate {
  certificateId: string;
  purpose: CertificatePurpose;
  thumbprintSha256: string;
  notBefore: string;
  notAfter: string;
  profile: RecordedProfile;
  publicJwk: Record<string, unknown>;
  revoked?: boolean;
}

export type AssertionAlgorithm = 'ES256' | 'ES384' | 'ES512' | 'PS256' | 'EdDSA';

/** The protected header fields of a client assertion that name its certificate. */
export interface AssertionHeader {
  kid?: string;
  'x5t#S256'?: string;
}

/**
 * The key a client assertion must verify with: the registered signing certificate its `kid`
 * (certificate id or thumbprint) or `x5t#S256` names, valid at `now`, and the one algorithm pinned to
 * it (pass it as jwtVerify's `algorithms`). Refuses a header naming none, or two different ones, and
 * an unknown, revoked, expired or not-yet-valid certificate.
 */
export function assertionKeyFor(
  certificates: readonly RegisteredCertificate[],
  header: AssertionHeader,
  now: Date | number = Date.now(),
): { certificateId: string; key: KeyObject; alg: AssertionAlgorithm } {
  const named = [header.kid, header['x5t#S256']].filter((n): n is string => typeof n === 'string' && n.length > 0);
  if (named.length === 0) throw new CertificateRefusedError('certificate-unknown', 'assertion names no certificate (kid or x5t#S256)');
  const signing = certificates.filter((c) => c.purpose === 'signing');
  const matches = new Set<RegisteredCertificate>();
  for (const name of named) {
    const found = signing.find((c) => c.certificateId === name || c.thumbprintSha256 === name);
    if (!found) throw new CertificateRefusedError('certificate-unknown', 'no registered signing certificate matches the assertion');
    matches.add(found);
  }
  if (matches.size > 1) throw new CertificateRefusedError('certificate-unknown', 'kid and x5t#S256 name different certificates');
  const [certificate] = [...matches];
  if (!certificate) throw new CertificateRefusedError('certificate-unknown', 'no registered signing certificate matches the assertion');
  if (certificate.revoked) throw new CertificateRefusedError('certificate-revoked', 'signing certificate is revoked');
  refuseOutsideValidity(certificate, new Date(now).getTime());
  return {
    certificateId: certificate.certificateId,
    key: createPublicKey({ key: certificate.publicJwk as JsonWebKey, format: 'jwk' }),
    alg: algorithmFor(certificate.profile),
  };
}

/**
 * One algorithm per key: ECDSA with the hash of the curve's size (RFC 7518 3.4), EdDSA for Ed25519,
 * and PS256 for RSA: PKCS#1 v1.5 (RS256) is what FAPI 1.0 Advanced forbids for client assertions.
 */
export function algorithmFor(profile: RecordedProfile): AssertionAlgorithm {
  if (profile.keyType === 'ed25519') return 'EdDSA';
  if (profile.keyType === 'rsa') return 'PS256';
  return profile.curve === 'P-521' ? 'ES512' : profile.curve === 'P-384' ? 'ES384' : 'ES256';
}

function readCertificate(pem: string): X509Certificate {
  if (typeof pem !== 'string' || pem.length > MAX_PEM_LENGTH) {
    throw new CertificateRefusedError('certificate-malformed', 'not a PEM certificate');
  }
  // Checked first, so that the answer tells the sender to keep the key to itself, whatever else was sent.
  if (/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(pem)) {
    throw new CertificateRefusedError('certificate-malformed', 'a private key was sent: send only the certificate, and consider the key exposed');
  }
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----/g)?.length ?? 0;
  if (blocks > 1) throw new CertificateRefusedError('certificate-malformed', 'more than one certificate: send only the provider\'s own certificate, not a chain');
  const text = pem.trim();
  if (blocks === 0 || !PEM_BLOCK.test(text)) throw new CertificateRefusedError('certificate-malformed', 'not a PEM certificate');
  try {
    return new X509Certificate(text);
  } catch {
    throw new CertificateRefusedError('certificate-malformed', 'not a PEM certificate');
  }
}

function profileOf(key: KeyObject, signatureAlgorithm: SignatureAlgorithm): CertificateProfile {
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'ec': {
      const curve = CURVES[details.namedCurve as keyof typeof CURVES];
      if (!curve) throw new CertificateRefusedError('certificate-weak', 'elliptic curve is not one of P-256, P-384, P-521');
      return { keyType: 'ec', curve, signatureAlgorithm };
    }
    case 'rsa':
      return { keyType: 'rsa', modulusBits: details.modulusLength ?? 0, signatureAlgorithm };
    case 'ed25519':
      return { keyType: 'ed25519', signatureAlgorithm };
    default:
      throw new CertificateRefusedError('certificate-weak', 'key type is not accepted (EC P-256/P-384/P-521, RSA, Ed25519)');
  }
}

/**
 * Node's X509Certificate does not tell the signature algorithm (nor does toLegacyObject), and the
 * public key cannot either: it is the issuer's key that signs. The certificate is decoded with
 * @peculiar/asn1-x509; RFC 5280 (4.1.1.2) has it state the algorithm twice, in the signed part and
 * beside the signature, and the two must agree. An algorithm not listed, or two that differ: 'unknown',
 * which registration refuses.
 */
export function signatureAlgorithmOf(der: Buffer): SignatureAlgorithm {
  let outer: string;
  let signed: string;
  try {
    const certificate = AsnConvert.parse(der, Certificate);
    outer = certificate.signatureAlgorithm.algorithm;
    signed = certificate.tbsCertificate.signature.algorithm;
  } catch {
    return 'unknown';
  }
  if (outer !== signed) return 'unknown';
  const known = (Object.entries(SIGNATURE_ALGORITHMS) as Array<[keyof typeof SIGNATURE_ALGORITHMS, string]>).find(([, oid]) => oid === outer);
  return known ? known[0] : 'unknown';
}

function refuseOutsideValidity(certificate: { notBefore: string; notAfter: string }, nowMs: number): void {
  if (nowMs < Date.parse(certificate.notBefore)) throw new CertificateRefusedError('certificate-not-yet-valid', 'certificate is not valid yet');
  if (nowMs > Date.parse(certificate.notAfter)) throw new CertificateRefusedError('certificate-expired', 'certificate has expired');
}

function oneLine(name: string): string {
  return name.split('\n').filter(Boolean).join(', ');
}
