import { createHash } from 'node:crypto';
import { CompactSign, decodeJwt, exportJWK, generateKeyPair, importJWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { receiptCommitment, receiptContent } from '../../commands/act-receipt.ts';
import { actDecider, type ActCommand } from '../../commands/act.ts';
import { streamNames } from '../../events/envelope.ts';
import { openSqlite } from '../../src/adapters/sqlite/database.ts';
import { SqliteEventStore } from '../../src/adapters/sqlite/event-store.ts';
import { SqliteKeyVault } from '../../src/adapters/sqlite/key-vault.ts';
import { actCodec } from '../../src/app/acts/act-sealing.ts';
import { newReceiptSalt } from '../../src/app/acts/act-service.ts';
import { checkReceipt, type ReceiptVerdict } from '../../src/app/acts/receipt-check.ts';
import { ActReceipts, type Receipt } from '../../src/app/acts/receipts.ts';
import { handleCommand } from '../../src/app/command-handler.ts';
import { LedgerKeys } from '../../src/app/ledger-keys.ts';
import { generateNoteKey } from '../../tlog/index.ts';
import { storeLog } from '../support/receipt-log.ts';

const NOW = '2026-12-02T09:00:00.000Z';
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const DOCUMENT = sha256('the contract');

describe('receipt commitment', () => {
  it('is SHA-256 of the salt and the canonical JSON of the content, members sorted, nothing else', () => {
    const salt = Buffer.alloc(32, 0xab);
    const content = receiptContent(
      { actId: 'a1', documentHash: DOCUMENT, name: 'Přiznání', description: '', providerId: 'p1', providerName: 'Tax "office"' },
      { method: 'sms', loa: null, authorizedAt: NOW },
    );
    expect(content.nameSha256).toBe(createHash('sha256').update(Buffer.from('Přiznání', 'utf8')).digest('hex'));
    expect(content.descriptionSha256).toBe(sha256(''));
    // Written out by hand, as an independent verifier would build it (RFC 8785 order).
    const canonical =
      `{"actId":"a1","authorizedAt":"${NOW}","descriptionSha256":"${sha256('')}","documentHash":"${DOCUMENT}","loa":null,` +
      `"method":"sms","nameSha256":"${content.nameSha256}","providerId":"p1","providerName":"Tax \\"office\\""}`;
    expect(receiptCommitment(salt, content)).toBe(createHash('sha256').update(salt).update(canonical, 'utf8').digest('hex'));
    // Claims beyond the content (sequence, position, salt) are not committed to.
    expect(receiptCommitment(salt, { ...content, sequence: 9, position: 9, salt: 'x' } as never)).toBe(receiptCommitment(salt, content));
    expect(receiptCommitment(Buffer.alloc(32, 0xac), content)).not.toBe(receiptCommitment(salt, content));
  });
});

/** A ledger's act stream, a real log over it, and the ledger's keys: enough to issue and check receipts. */
async function authorizedAct(options: { authorize?: boolean } = {}) {
  const db = openSqlite(':memory:');
  const store = new SqliteEventStore(db);
  const vault = new SqliteKeyVault(db);
  const codec = actCodec(vault);
  const keys = await LedgerKeys.ephemeral();
  const log = await storeLog(store);
  const actId = '4b1f6a2e-0c1d-4e5f-8a9b-0c1d2e3f4a5b';
  const run = (command: ActCommand) => handleCommand({ store, streamName: streamNames.act(actId), decider: actDecider, command, context: { actor: 'p1', now: NOW }, codec });
  await run({
    type: 'RegisterAct', actId, providerId: 'p1', providerName: 'Tax office', sepp: 'bsi-1', aifo: 'aifo-1', documentHash: DOCUMENT,
    name: 'Tax return 2026', description: 'Annual return', loa: null, gateway: 'national', methods: ['authentication', 'sms'],
    requestDigest: 'd', attemptsAllowed: 3, now: NOW, expiresAt: '2026-12-03T09:00:00.000Z',
  });
  await run({ type: 'IssueCode', providerId: 'p1', codeId: 'c1', channel: 'sms', verifier: 'f'.repeat(64), destinationHint: '+420 *** *** 001', now: NOW, expiresAt: '2026-12-02T09:05:00.000Z' });
  if (options.authorize !== false) await run({ type: 'VerifyCode', providerId: 'p1', codeId: 'c1', verifier: 'f'.repeat(64), receiptSalt: newReceiptSalt(), now: '2026-12-02T09:01:00.000Z' });
  const receipts = new ActReceipts({ store, codec, log, keys });
  const checkKeys = { jwks: keys.publicJwks(), logKey: log.verifierKey };
  return { store, vault, keys, log, actId, receipts, checkKeys };
}

const issued = (receipt: Receipt | undefined) => {
  if (receipt?.status !== 'issued') throw new Error(`expected an issued receipt, got ${JSON.stringify(receipt)}`);
  return receipt;
};
const holds = (v: ReceiptVerdict) => v.genuine && v.inLog && v.problems.length === 0;

describe('receipts for authorizations', () => {
  it('are pending until a signed checkpoint covers the ActAuthorized, then verify offline, file included', async () => {
    const { log, actId, receipts, checkKeys } = await authorizedAct();
    expect(await receipts.of(actId)).toEqual({ status: 'pending' });
    await log.checkpointNow();
    const receipt = issued(await receipts.of(actId));

    const verdict = await checkReceipt(receipt, checkKeys, DOCUMENT);
    expect(verdict).toMatchObject({ genuine: true, inLog: true, matchesDocument: true, problems: [], checkpoint: { origin: log.origin, treeSize: 4 } });
    expect(verdict.claims).toMatchObject({ actId, documentHash: DOCUMENT, nameSha256: sha256('Tax return 2026'), providerName: 'Tax office', method: 'sms', loa: null, sequence: 4 });
    expect(await checkReceipt(receipt, checkKeys)).toMatchObject({ genuine: true, inLog: true, matchesDocument: null });
    expect(await checkReceipt(receipt, checkKeys, sha256('another file'))).toMatchObject({ genuine: true, inLog: true, matchesDocument: false, problems: ['document-mismatch'] });
    // Read again: the very same receipt (no time in the JWS, deterministic EdDSA).
    expect(await receipts.of(actId)).toEqual(receipt);
  });

  it('keep the salt sealed in the log: the public part of the event carries only the commitment', async () => {
    const { store, actId } = await authorizedAct();
    const stored = (await store.readStream(streamNames.act(actId))).find((e) => e.type === 'ActAuthorized')!;
    expect(Object.keys(stored.data).sort()).toEqual(['authorizedAt', 'loa', 'method', 'receiptCommitment', 'sealed']);
    expect(stored.data.receiptCommitment).toMatch(/^[0-9a-f]{64}$/);
    expect(stored.metadata.schemaVersion).toBe(2);
  });

  it('exist only for authorized acts', async () => {
    const { log, actId, receipts } = await authorizedAct({ authorize: false });
    await log.checkpointNow();
    expect(await receipts.of(actId)).toBeUndefined();
    expect(await receipts.of('00000000-0000-4000-8000-000000000000')).toBeUndefined();
  });

  it('fail on any changed claim, any changed byte of the event, any changed proof hash, a foreign key', async () => {
    const { log, actId, receipts, checkKeys, keys } = await authorizedAct();
    await log.checkpointNow();
    const receipt = issued(await receipts.of(actId));
    expect(holds(await checkReceipt(receipt, checkKeys))).toBe(true);

    // A claim changed and signed again by the ledger's own key: the log's commitment still refuses it.
    const claims = decodeJwt(receipt.jws);
    const ledgerKey = await importJWK(keys.current.privateJwk, 'EdDSA');
    const resign = (payload: object) =>
      new CompactSign(Buffer.from(JSON.stringify(payload))).setProtectedHeader({ alg: 'EdDSA', typ: 'act-receipt+jwt', kid: keys.current.kid }).sign(ledgerKey);
    for (const [claim, value] of Object.entries({ documentHash: sha256('x'), nameSha256: sha256('x'), descriptionSha256: sha256('x'), providerId: 'p2', providerName: 'Other', method: 'authentication', loa: 'high', authorizedAt: NOW, actId: '00000000-0000-4000-8000-000000000000' })) {
      const verdict = await checkReceipt({ ...receipt, jws: await resign({ ...claims, [claim]: value }) }, checkKeys);
      expect(verdict.genuine, claim).toBe(false);
      expect(verdict.problems.length, claim).toBeGreaterThan(0);
    }
    const moved = await checkReceipt({ ...receipt, jws: await resign({ ...claims, sequence: 3 }) }, checkKeys);
    expect(moved).toMatchObject({ inLog: false, problems: ['index-mismatch'] });
    const salted = await checkReceipt({ ...receipt, jws: await resign({ ...claims, salt: Buffer.alloc(32).toString('base64url') }) }, checkKeys);
    expect(salted).toMatchObject({ genuine: false, problems: ['commitment-mismatch'] });

    // The payload changed without a new signature.
    const [header, , signature] = receipt.jws.split('.');
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...claims, documentHash: sha256('x') })).toString('base64url')}.${signature}`;
    expect(await checkReceipt({ ...receipt, jws: forged }, checkKeys)).toMatchObject({ genuine: false, problems: ['signature-invalid'] });

    // Signed by someone else's key of the same kid.
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const other = await new CompactSign(Buffer.from(JSON.stringify(claims))).setProtectedHeader({ alg: 'EdDSA', typ: 'act-receipt+jwt', kid: keys.current.kid }).sign(privateKey);
    expect((await checkReceipt({ ...receipt, jws: other }, checkKeys)).problems).toEqual(['signature-invalid']);
    expect(holds(await checkReceipt(receipt, { ...checkKeys, jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: keys.current.kid }] } }))).toBe(false);

    // Every byte of the event, flipped one at a time.
    const event = Buffer.from(receipt.event, 'base64');
    for (let i = 0; i < event.length; i++) {
      const flipped = Buffer.from(event);
      flipped[i] = flipped[i]! ^ 0x01;
      expect(holds(await checkReceipt({ ...receipt, event: flipped.toString('base64') }, checkKeys)), `byte ${i}`).toBe(false);
    }

    // Each proof hash, one bit changed; the checkpoint's signature; the log key of another log.
    const lines = receipt.proof.split('\n');
    const hashLines = lines.map((l, i) => (/^[A-Za-z0-9+/]{43}=$/.test(l) && i > 1 && i < lines.indexOf('') ? i : -1)).filter((i) => i >= 0);
    expect(hashLines.length).toBe(2);
    for (const i of hashLines) {
      const hash = Buffer.from(lines[i]!, 'base64');
      hash[0] = hash[0]! ^ 0x80;
      const proof = lines.map((l, j) => (j === i ? hash.toString('base64') : l)).join('\n');
      expect(await checkReceipt({ ...receipt, proof }, checkKeys)).toMatchObject({ genuine: true, inLog: false, problems: ['inclusion-not-proven'] });
    }
    const resized = receipt.proof.replace(/\n4\n/, '\n5\n');
    expect((await checkReceipt({ ...receipt, proof: resized }, checkKeys)).problems).toEqual(['checkpoint-not-signed']);
    const stranger = generateNoteKey(log.origin).verifierKey;
    expect((await checkReceipt(receipt, { ...checkKeys, logKey: stranger })).problems).toEqual(['checkpoint-not-signed']);
  });

  it('answer malformed and pending receipts with their own problem', async () => {
    const { checkKeys } = await authorizedAct();
    expect((await checkReceipt({ status: 'pending' }, checkKeys)).problems).toEqual(['receipt-pending']);
    expect((await checkReceipt('nonsense', checkKeys)).problems).toEqual(['receipt-malformed']);
    expect((await checkReceipt({ status: 'issued', jws: 'a.b.c', event: '!!', proof: 'x' }, checkKeys)).problems).toEqual(['signature-invalid', 'event-malformed']);
  });
});
