import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ed25519KeyId,
  ed25519Signer,
  formatSignerKey,
  formatVerifierKey,
  generateNoteKey,
  isValidKeyName,
  openNote,
  parseNote,
  parseSignerKey,
  parseVerifierKey,
  rawEd25519PublicKey,
  signNote,
} from '../../../tlog/index.ts';

// The example of golang.org/x/mod/sumdb/note (package documentation, note.go): a signer key, its
// verifier key, and the note Go signs with it (Ed25519 is deterministic, so the bytes must match).
const GO_SKEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const GO_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const GO_SIG = '— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';
const GO_NOTE = `${GO_TEXT}\n${GO_SIG}`;
// The same note re-signed by a second key, EnochRoot, whose verifier key the example does not give.
const GO_DOUBLE = `${GO_NOTE}— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n`;

// The example of the C2SP signed-note specification (c2sp.org/signed-note): a text with an empty
// line of its own, separated from its signature by the last blank line. The spec gives no key.
const C2SP_NOTE =
  'Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n\n— quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n';

const flipLastSignatureChar = (note: string): string => {
  const i = note.lastIndexOf('=') - 2;
  return note.slice(0, i) + (note[i] === 'A' ? 'B' : 'A') + note.slice(i + 1);
};

describe('signed notes against the Go sumdb/note example', () => {
  it('derives the verifier key and key ID from the signer key', () => {
    const signer = parseSignerKey(GO_SKEY);
    expect(signer.name).toBe('PeterNeumann');
    expect(signer.keyId.toString(16)).toBe('c74f20a3');
    const verifier = parseVerifierKey(GO_VKEY);
    expect(verifier.keyId).toBe(signer.keyId);
  });

  it('signs the example text to exactly the example note', () => {
    expect(signNote(GO_TEXT, [parseSignerKey(GO_SKEY)])).toBe(GO_NOTE);
  });

  it('opens the example note, and the doubly signed one with the unknown key set aside', () => {
    const verifier = parseVerifierKey(GO_VKEY);
    const opened = openNote(GO_NOTE, [verifier]);
    expect(opened.text).toBe(GO_TEXT);
    expect(opened.signatures.map((s) => [s.name, s.keyId.toString(16)])).toEqual([['PeterNeumann', 'c74f20a3']]);
    const double = openNote(GO_DOUBLE, [verifier]);
    expect(double.text).toBe(GO_TEXT);
    expect(double.signatures.map((s) => s.name)).toEqual(['PeterNeumann']);
    expect(double.unverified.map((s) => s.name)).toEqual(['EnochRoot']);
  });

  it('rejects the example note when its text or signature is altered, or no known key signed it', () => {
    const verifier = parseVerifierKey(GO_VKEY);
    expect(() => openNote(GO_NOTE.replace('problem,', 'problem;'), [verifier])).toThrow(expect.objectContaining({ code: 'invalid-signature' }));
    expect(() => openNote(flipLastSignatureChar(GO_NOTE), [verifier])).toThrow(expect.objectContaining({ code: 'invalid-signature' }));
    expect(() => openNote(GO_NOTE, [])).toThrow(expect.objectContaining({ code: 'unverified-note' }));
    // Same name, other key: an unknown key, ignored; with no other signature the note is unverified.
    const other = generateNoteKey('PeterNeumann');
    expect(() => openNote(GO_NOTE, [parseVerifierKey(other.verifierKey)])).toThrow(expect.objectContaining({ code: 'unverified-note' }));
  });

  it('refuses verifier and signer keys whose key ID does not match, or that are malformed', () => {
    expect(() => parseVerifierKey(GO_VKEY.replace('c74f20a3', 'c74f20a4'))).toThrow(expect.objectContaining({ code: 'malformed-key' }));
    expect(() => parseSignerKey(GO_SKEY.replace('c74f20a3', 'c74f20a4'))).toThrow(expect.objectContaining({ code: 'malformed-key' }));
    expect(() => parseVerifierKey(GO_VKEY.replace('+ARpc', '+AhpC'))).toThrow(expect.objectContaining({ code: 'malformed-key' }));
    expect(() => parseVerifierKey('PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW')).toThrow(expect.objectContaining({ code: 'malformed-key' }));
    expect(() => parseVerifierKey('Peter+Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW')).toThrow();
    expect(() => parseSignerKey(GO_VKEY)).toThrow(expect.objectContaining({ code: 'malformed-key' }));
  });
});

describe('signed notes against the C2SP example and the format rules', () => {
  it('splits the spec example at the last blank line and reads its key ID', () => {
    const { text, signatures } = parseNote(C2SP_NOTE);
    expect(text).toBe('Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n');
    expect(signatures).toHaveLength(1);
    expect(signatures[0]?.name).toBe('quasimodo.example/salvatore');
    expect(signatures[0]?.keyId.toString(16).padStart(8, '0')).toBe('367ba04b');
    expect(() => openNote(C2SP_NOTE, [])).toThrow(expect.objectContaining({ code: 'unverified-note' }));
  });

  it('computes key IDs as SHA-256(name || 0x0A || 0x01 || key)[:4] and round-trips its key texts', () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const pub = rawEd25519PublicKey(privateKey);
    const vkey = formatVerifierKey('ledger.example/act-ledger', pub);
    expect(vkey).toMatch(/^ledger\.example\/act-ledger\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$/);
    expect(vkey.split('+')[1]).toBe(ed25519KeyId('ledger.example/act-ledger', pub).toString(16).padStart(8, '0'));
    const skey = formatSignerKey('ledger.example/act-ledger', privateKey);
    const note = signNote('hello\n', [parseSignerKey(skey)]);
    expect(openNote(note, [parseVerifierKey(vkey)]).text).toBe('hello\n');
    // A signer over a key object signs the same bytes (Ed25519 is deterministic).
    expect(signNote('hello\n', [ed25519Signer('ledger.example/act-ledger', privateKey)])).toBe(note);
  });

  it('applies the key name rules', () => {
    for (const good of ['example.com/log', 'PeterNeumann', 'é/ü']) expect(isValidKeyName(good), good).toBe(true);
    for (const bad of ['', 'a b', 'a+b', 'a\tb', 'a\u00a0b', 'a\u2003b', 'a\u0085b', 'a\u0001b']) expect(isValidKeyName(bad), JSON.stringify(bad)).toBe(false);
    expect(() => generateNoteKey('a b')).toThrow(expect.objectContaining({ code: 'invalid-key-name' }));
  });

  it('signs only texts that end in a newline and hold no control characters', () => {
    const signer = parseSignerKey(GO_SKEY);
    expect(() => signNote('no newline', [signer])).toThrow(expect.objectContaining({ code: 'malformed-note' }));
    expect(() => signNote('tab\there\n', [signer])).toThrow(expect.objectContaining({ code: 'malformed-note' }));
    expect(() => signNote('ok\n', [])).toThrow(expect.objectContaining({ code: 'malformed-note' }));
  });

  it('rejects malformed notes before looking at any signature', () => {
    const verifier = parseVerifierKey(GO_VKEY);
    const malformed = [
      GO_TEXT + GO_SIG, // no blank line
      GO_NOTE.slice(0, -1), // signature line without its newline
      `${GO_TEXT}\n`, // no signature at all
      GO_NOTE.replace('— ', '-- '), // not an em dash
      GO_NOTE.replace('— PeterNeumann ', '— PeterNeumann  '), // two spaces: the signature is not base64
      GO_NOTE.replace('JnAM=', 'JnAM'), // unpadded base64
      GO_NOTE.replace('\nthen', '\r\nthen'), // a control character
      `${GO_NOTE}\n`, // trailing blank line: the signatures would be empty
      `${GO_TEXT}\n— PeterNeumann AAAA\n`, // fewer than 5 bytes
      `${GO_TEXT}\n${GO_SIG.repeat(101)}`, // too many signatures
    ];
    for (const note of malformed) expect(() => openNote(note, [verifier]), JSON.stringify(note.slice(-40))).toThrow(expect.objectContaining({ code: 'malformed-note' }));
  });

  it('accepts at least 16 signatures, counting a known key once', () => {
    const verifier = parseVerifierKey(GO_VKEY);
    const others = Array.from({ length: 15 }, (_, i) => parseSignerKey(generateNoteKey(`witness${i}.example`).signerKey));
    const note = signNote(GO_TEXT, [parseSignerKey(GO_SKEY), ...others]);
    const opened = openNote(note + GO_SIG, [verifier]);
    expect(opened.signatures).toHaveLength(1);
    expect(opened.unverified).toHaveLength(15);
  });
});
