// C2SP signed-note (c2sp.org/signed-note) with Ed25519 keys, and the key text forms Go's
// golang.org/x/mod/sumdb/note uses: the verifier key "<name>+<hex key id>+<base64(0x01 || public key)>"
// and the signer key "PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 || seed)>".
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign as edSign, verify as edVerify, type KeyObject } from 'node:crypto';
import { concatBytes, fromBase64, toBase64 } from './encoding.ts';
import { TlogError } from './errors.ts';

/** The signature type byte of Ed25519 in signed notes. */
export const ED25519_SIGNATURE_TYPE = 0x01;
/** A verifier must accept at least 16 signatures; beyond this many a note is refused as malformed. */
export const MAX_SIGNATURES = 100;

const SIGNATURE_PREFIX = '\u2014 '; // em dash, space
const ED25519_SIGNATURE_SIZE = 64;

/** Signs note texts with one key. */
export interface NoteSigner {
  readonly name: string;
  /** The uint32 key ID that leads each signature. */
  readonly keyId: number;
  sign(text: Uint8Array): Uint8Array;
}

/** Verifies signatures of one key. */
export interface NoteVerifier {
  readonly name: string;
  readonly keyId: number;
  verify(text: Uint8Array, signature: Uint8Array): boolean;
}

/** A signature line: the key it names and its base64 payload (key ID || signature). */
export interface NoteSignature {
  name: string;
  keyId: number;
  base64: string;
}

/** An opened note: its text, the signatures that verified, and those by keys not known. */
export interface OpenedNote {
  text: string;
  signatures: NoteSignature[];
  unverified: NoteSignature[];
}

/** Whether a key name is valid: non-empty, no Unicode space, no plus, no control character. */
export function isValidKeyName(name: string): boolean {
  return name.length > 0 && name.isWellFormed() && !/[\p{White_Space}+\p{Cc}]/u.test(name);
}

function assertKeyName(name: string): void {
  if (!isValidKeyName(name)) throw new TlogError('invalid-key-name', 'key name must be non-empty, without spaces, plus signs or control characters');
}

/** SHA-256(name || 0x0A || 0x01 || public key)[:4] as a big-endian uint32. */
export function ed25519KeyId(name: string, publicKey: Uint8Array): number {
  const digest = createHash('sha256').update(name, 'utf8').update(new Uint8Array([0x0a, ED25519_SIGNATURE_TYPE])).update(publicKey).digest();
  return digest.readUInt32BE(0);
}

const hex8 = (id: number): string => id.toString(16).padStart(8, '0');

// DER wrappers of a raw Ed25519 key (RFC 8410): the fixed prefixes of PKCS #8 and SubjectPublicKeyInfo.
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

function privateKeyFromSeed(seed: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

function publicKeyFromRaw(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, raw]), format: 'der', type: 'spki' });
}

/** The raw 32-byte public key of an Ed25519 key object (private or public). */
export function rawEd25519PublicKey(key: KeyObject): Uint8Array {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  if (pub.asymmetricKeyType !== 'ed25519') throw new TlogError('malformed-key', 'the key is not an Ed25519 key');
  const der = pub.export({ format: 'der', type: 'spki' });
  return new Uint8Array(der.subarray(der.length - 32));
}

/** A signer for an Ed25519 private key object under a key name. */
export function ed25519Signer(name: string, privateKey: KeyObject): NoteSigner {
  assertKeyName(name);
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ed25519') throw new TlogError('malformed-key', 'an Ed25519 private key is required');
  const keyId = ed25519KeyId(name, rawEd25519PublicKey(privateKey));
  return { name, keyId, sign: (text) => new Uint8Array(edSign(null, text, privateKey)) };
}

/** A verifier for a raw Ed25519 public key under a key name. */
export function ed25519Verifier(name: string, publicKey: Uint8Array): NoteVerifier {
  assertKeyName(name);
  if (publicKey.length !== 32) throw new TlogError('malformed-key', 'an Ed25519 public key is 32 bytes');
  const key = publicKeyFromRaw(publicKey);
  const keyId = ed25519KeyId(name, publicKey);
  return {
    name,
    keyId,
    verify: (text, signature) => signature.length === ED25519_SIGNATURE_SIZE && edVerify(null, text, key, signature),
  };
}

/** The verifier key text `<name>+<hex key id>+<base64(0x01 || public key)>`. */
export function formatVerifierKey(name: string, publicKey: Uint8Array): string {
  assertKeyName(name);
  if (publicKey.length !== 32) throw new TlogError('malformed-key', 'an Ed25519 public key is 32 bytes');
  return `${name}+${hex8(ed25519KeyId(name, publicKey))}+${toBase64(concatBytes(new Uint8Array([ED25519_SIGNATURE_TYPE]), publicKey))}`;
}

// "<name>+<8 hex>+<base64>": names hold no plus, base64 may, so only the first two pluses split.
function splitKeyText(text: string): { name: string; keyId: number; key: Uint8Array } {
  const m = /^([^+]*)\+([0-9a-f]{8})\+(.*)$/su.exec(text);
  if (!m) throw new TlogError('malformed-key', 'key text must be <name>+<8 lowercase hex digits>+<base64>');
  const [, name, id, data] = m as unknown as [string, string, string, string];
  assertKeyName(name);
  const key = fromBase64(data);
  if (!key || key.length !== 33 || key[0] !== ED25519_SIGNATURE_TYPE) throw new TlogError('malformed-key', 'key data must be base64 of 0x01 and 32 bytes');
  return { name, keyId: Number.parseInt(id, 16), key: key.subarray(1) };
}

/** A verifier from its verifier key text; refuses a key ID that does not match the key. */
export function parseVerifierKey(vkey: string): NoteVerifier {
  const { name, keyId, key } = splitKeyText(vkey);
  if (keyId !== ed25519KeyId(name, key)) throw new TlogError('malformed-key', 'the key ID does not match the name and key');
  return ed25519Verifier(name, key);
}

/** A signer from its signer key text `PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 || seed)>`. */
export function parseSignerKey(skey: string): NoteSigner {
  if (!skey.startsWith('PRIVATE+KEY+')) throw new TlogError('malformed-key', 'signer key must start with PRIVATE+KEY+');
  const { name, keyId, key } = splitKeyText(skey.slice('PRIVATE+KEY+'.length));
  const signer = ed25519Signer(name, privateKeyFromSeed(key));
  if (signer.keyId !== keyId) throw new TlogError('malformed-key', 'the key ID does not match the name and key');
  return signer;
}

/** The signer key text of an Ed25519 private key object (keep it secret). */
export function formatSignerKey(name: string, privateKey: KeyObject): string {
  const signer = ed25519Signer(name, privateKey);
  const der = privateKey.export({ format: 'der', type: 'pkcs8' });
  const seed = new Uint8Array(der.subarray(der.length - 32));
  return `PRIVATE+KEY+${name}+${hex8(signer.keyId)}+${toBase64(concatBytes(new Uint8Array([ED25519_SIGNATURE_TYPE]), seed))}`;
}

/** A new Ed25519 key pair for a name, as signer and verifier key texts. */
export function generateNoteKey(name: string): { signerKey: string; verifierKey: string } {
  assertKeyName(name);
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { signerKey: formatSignerKey(name, privateKey), verifierKey: formatVerifierKey(name, rawEd25519PublicKey(publicKey)) };
}

// Valid UTF-8 is given by a well-formed string; no ASCII control character but newline.
const hasForbiddenCharacter = (s: string): boolean => !s.isWellFormed() || /[\u0000-\u0009\u000b-\u001f]/.test(s);

/**
 * Signs a note text (which must end in a newline) with each signer, in order. The result is the
 * text, a blank line and one signature line per signer.
 */
export function signNote(text: string, signers: readonly NoteSigner[]): string {
  if (!text.endsWith('\n') || hasForbiddenCharacter(text)) throw new TlogError('malformed-note', 'note text must end in a newline and hold no control character but newlines');
  if (signers.length === 0) throw new TlogError('malformed-note', 'a note needs at least one signer');
  const bytes = new Uint8Array(Buffer.from(text, 'utf8'));
  const lines = signers.map((s) => {
    assertKeyName(s.name);
    const id = Buffer.alloc(4);
    id.writeUInt32BE(s.keyId);
    return `${SIGNATURE_PREFIX}${s.name} ${toBase64(concatBytes(id, s.sign(bytes)))}\n`;
  });
  return `${text}\n${lines.join('')}`;
}

/** Splits a signed note into its text and signature lines, refusing anything malformed. */
export function parseNote(note: string): { text: string; signatures: NoteSignature[] } {
  if (hasForbiddenCharacter(note)) throw new TlogError('malformed-note', 'a note must be valid UTF-8 without control characters but newlines');
  // The text is separated from the signatures by the last blank line.
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw new TlogError('malformed-note', 'a note needs a blank line before its signatures');
  const text = note.slice(0, split + 1);
  const block = note.slice(split + 2);
  if (block.length === 0 || !block.endsWith('\n')) throw new TlogError('malformed-note', 'a note needs signature lines, each ending in a newline');
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) throw new TlogError('malformed-note', `a note may carry at most ${MAX_SIGNATURES} signatures`);
  const signatures = lines.map((line) => {
    if (!line.startsWith(SIGNATURE_PREFIX)) throw new TlogError('malformed-note', 'a signature line starts with an em dash and a space');
    const rest = line.slice(SIGNATURE_PREFIX.length);
    const space = rest.indexOf(' ');
    const name = space < 0 ? rest : rest.slice(0, space);
    const base64 = space < 0 ? '' : rest.slice(space + 1);
    const bytes = fromBase64(base64);
    if (!isValidKeyName(name) || !bytes || bytes.length < 5) throw new TlogError('malformed-note', 'a signature line is "— <key name> <base64 of key ID and signature>"');
    return { name, keyId: Buffer.from(bytes).readUInt32BE(0), base64 };
  });
  return { text, signatures };
}

/**
 * Opens a signed note with the known verifiers: signatures by unknown keys (name and key ID not
 * both matching one verifier) are ignored, a failing signature by a known key rejects the note,
 * and at least one known key's signature must verify.
 */
export function openNote(note: string, verifiers: readonly NoteVerifier[]): OpenedNote {
  const { text, signatures } = parseNote(note);
  const bytes = new Uint8Array(Buffer.from(text, 'utf8'));
  const verified: NoteSignature[] = [];
  const unverified: NoteSignature[] = [];
  for (const sig of signatures) {
    const known = verifiers.filter((v) => v.name === sig.name && v.keyId === sig.keyId);
    if (known.length > 1) throw new TlogError('malformed-key', 'two known keys share a name and key ID');
    const verifier = known[0];
    if (!verifier) {
      unverified.push(sig);
      continue;
    }
    const raw = (fromBase64(sig.base64) as Uint8Array).subarray(4);
    if (!verifier.verify(bytes, raw)) throw new TlogError('invalid-signature', `the signature by ${sig.name} does not verify`);
    if (!verified.some((v) => v.name === sig.name && v.keyId === sig.keyId)) verified.push(sig);
  }
  if (verified.length === 0) throw new TlogError('unverified-note', 'no signature by a known key');
  return { text, signatures: verified, unverified };
}
