import type { Position } from '@eventstore/db-client';

/** The first release the ledger runs on: from 22.10 (LTS), stream reads carry each event's log position. */
export const OLDEST_SUPPORTED = { year: 22, month: 10 };

/** The server cannot give what the ledger needs of it; retrying will not help. */
export class ServerTooOldError extends Error {
  override readonly name = 'ServerTooOldError';
  constructor(reason: string) {
    super(`${reason}: the ledger needs EventStoreDB ${OLDEST_SUPPORTED.year}.${OLDEST_SUPPORTED.month} or later`);
  }
}

/**
 * Refuses a server older than OLDEST_SUPPORTED, from the version its server-features call reports.
 * The client reports "unknown" when that call is unimplemented, which means a server before 21.10.
 * A build of the server from source reports 0.0.0.0: it is let through, and the position check on
 * every read (logPosition) still refuses it should it not report positions.
 */
export function requireSupportedServer(version: string): void {
  if (version === 'unknown') throw new ServerTooOldError('EventStoreDB does not report its version (it is older than 21.10)');
  const match = /^(\d+)\.(\d+)/.exec(version);
  if (!match) throw new ServerTooOldError(`EventStoreDB reports version "${version}", which the ledger cannot read`);
  const [year, month] = [Number(match[1]), Number(match[2])];
  if (year === 0 && month === 0) return;
  if (year < OLDEST_SUPPORTED.year || (year === OLDEST_SUPPORTED.year && month < OLDEST_SUPPORTED.month)) {
    throw new ServerTooOldError(`EventStoreDB ${version} is too old`);
  }
}

/** What servers before 22.10 put in place of a stream-read event's position: none, or u64 max. */
const NO_POSITION = new Set([0n, 2n ** 64n - 1n]);

/**
 * The event's commit position, as a number. The client never leaves the position out (an absent
 * protobuf field reads as 0), so a server that does not report positions shows as 0, or as u64 max
 * where it fills the field with "end": both are refused as a server too old, never used as positions.
 */
export function logPosition(position: Position | undefined): number {
  if (!position || NO_POSITION.has(position.commit)) {
    throw new ServerTooOldError('EventStoreDB returned an event without its log position');
  }
  if (position.commit > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`commit position ${position.commit} exceeds what a JS number holds exactly`);
  return Number(position.commit);
}
