import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { RecordedEvent } from '../../../events/envelope.ts';
import { sealedFields, type ActEvent } from '../../../events/act.ts';
import { readEventData } from '../../../events/validation.ts';
import type { KeyVault } from '../../ports/key-vault.ts';
import type { EventCodec } from '../command-handler.ts';

/** The encrypted part of an event: AES-256-GCM over the JSON of its personal fields. */
export interface SealedPart {
  alg: 'A256GCM';
  iv: string;
  ct: string;
  tag: string;
}

const aad = (streamName: string, type: string) => Buffer.from(`${streamName}|${type}`);

export function seal(key: Buffer, streamName: string, type: string, fields: Record<string, unknown>): SealedPart {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad(streamName, type));
  const ct = Buffer.concat([cipher.update(JSON.stringify(fields), 'utf8'), cipher.final()]);
  return { alg: 'A256GCM', iv: iv.toString('base64'), ct: ct.toString('base64'), tag: cipher.getAuthTag().toString('base64') };
}

export function unseal(key: Buffer, streamName: string, type: string, part: SealedPart): Record<string, unknown> {
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(part.iv, 'base64'));
  decipher.setAAD(aad(streamName, type));
  decipher.setAuthTag(Buffer.from(part.tag, 'base64'));
  const plain = Buffer.concat([decipher.update(Buffer.from(part.ct, 'base64')), decipher.final()]);
  return JSON.parse(plain.toString('utf8')) as Record<string, unknown>;
}

const actIdOf = (streamName: string) => streamName.slice('act-'.length);

/**
 * The act family's codec: personal fields leave for the store sealed with the act's data key and
 * come back unsealed. When the key is gone (retention), they simply do not come back. Whatever it
 * reads is upcast and checked against its type's schema once unsealed (events/validation.ts).
 */
export type ActCodec = EventCodec<ActEvent> & {
  /** A whole recorded event of any stream, decoded as `decode` does: what projections are fed. */
  decodeRecorded(r: RecordedEvent): Promise<RecordedEvent>;
};

export function actCodec(vault: KeyVault): ActCodec {
  const keyFor = async (actId: string, create: boolean) => {
    if (create) return vault.create(actId);
    return vault.get(actId);
  };

  const decodeRecorded = async (r: RecordedEvent): Promise<RecordedEvent> => {
    const part = r.data.sealed as SealedPart | undefined;
    if (!part) {
      const data = readEventData(r);
      return data === r.data ? r : { ...r, data };
    }
    // Built key by key, not by spreads: a spread followed by new keys costs V8 a fresh hidden class
    // per key, and this runs for every act event read.
    const data: Record<string, unknown> = {};
    for (const field in r.data) if (field !== 'sealed') data[field] = r.data[field];
    const key = await keyFor(actIdOf(r.streamName), false);
    if (!key) data.erased = true;
    else Object.assign(data, unseal(key, r.streamName, r.type, part));
    const decoded = { ...r, data };
    decoded.data = readEventData(decoded);
    return decoded;
  };

  return {
    decodeRecorded,
    async decode(r) {
      const { type, data } = await decodeRecorded(r);
      return { type, data } as unknown as ActEvent;
    },
    async encode(event, streamName) {
      const fields = sealedFields[event.type];
      const given = event.data as Record<string, unknown>;
      if (!fields) return { type: event.type, data: { ...given } };
      // Split key by key (no delete, no spread-then-add: both cost V8 a hidden class per call).
      const data: Record<string, unknown> = {};
      const personal: Record<string, unknown> = {};
      let sealing = false;
      for (const field in given) {
        if (!fields.includes(field)) data[field] = given[field];
        else if (given[field] !== undefined) {
          personal[field] = given[field];
          sealing = true;
        }
      }
      if (!sealing) return { type: event.type, data };
      const key = await keyFor(actIdOf(streamName), event.type === 'ActRegistered');
      if (!key) throw new Error('the act\'s data key is gone; nothing personal can be recorded for it');
      data.sealed = seal(key, streamName, event.type, personal);
      return { type: event.type, data };
    },
  };
}
