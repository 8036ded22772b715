import {
  EVENT_SEQUENCE,
  EVENT_SEQUENCE_HEAD,
  SEQUENCE_HEAD_ID,
  sequenceKey,
  type SequencedEvent,
  type SequenceHead,
} from '../../../projections/event-sequence.ts';
import { START_OF_LOG, type EventStore, type LogPosition } from '../../ports/event-store.ts';
import type { ReadModelStore } from '../../ports/read-model-store.ts';

/**
 * The dense numbers of the log, as the event-sequence projection recorded them: what counts,
 * exports and retention records use instead of positions. Reads only; the projection runner writes.
 */
export class EventSequence {
  constructor(private readonly readModels: Pick<ReadModelStore, 'get' | 'find'>) {}

  /** The sequence (1..N) of the event at `position`; 0 for START_OF_LOG; undefined until that event is sequenced. */
  async sequenceOf(position: LogPosition): Promise<number | undefined> {
    if (position === START_OF_LOG) return 0;
    return (await this.readModels.get<SequencedEvent>(EVENT_SEQUENCE, sequenceKey(position)))?.sequence;
  }

  /** The position of the event numbered `sequence`; undefined until it is sequenced. */
  async positionOf(sequence: number): Promise<LogPosition | undefined> {
    if (sequence === 0) return START_OF_LOG;
    const [found] = await this.readModels.find<SequencedEvent>(EVENT_SEQUENCE, { where: { sequence }, limit: 1 });
    return found?.position;
  }

  /** The last event sequenced so far (sequence 0 at START_OF_LOG when none is). */
  async head(): Promise<SequenceHead> {
    return (await this.readModels.get<SequenceHead>(EVENT_SEQUENCE_HEAD, SEQUENCE_HEAD_ID)) ?? { position: START_OF_LOG, sequence: 0 };
  }

  /** The number of events the sequence holds: the head's sequence. */
  async headSequence(): Promise<number> {
    return (await this.head()).sequence;
  }
}

/** Most events a lag figure reads from the log to count; beyond it, the figure says this many. */
export const LAG_COUNT_LIMIT = 10_000;
const COUNT_PAGE = 1000;

/**
 * Counts events in the log after a position, for lag figures, without arithmetic on positions: up
 * to where the event sequence reaches, as a difference of sequences; past it (the sequencer itself
 * behind, or no sequence kept), by reading the log, at most LAG_COUNT_LIMIT events.
 */
export async function eventCounter(eventStore: EventStore, head: LogPosition, sequence?: EventSequence): Promise<(after: LogPosition) => Promise<number>> {
  const sequenced = sequence ? await sequence.head() : { position: START_OF_LOG, sequence: 0 };
  const read = (after: LogPosition) => countByReading(eventStore, after, head);
  const beyondSequenced = sequenced.position >= head ? 0 : await read(sequenced.position);
  const counted = new Map<LogPosition, Promise<number>>();
  const count = async (after: LogPosition): Promise<number> => {
    if (after >= head) return 0;
    if (sequence && after <= sequenced.position) {
      const at = await sequence.sequenceOf(after);
      if (at !== undefined) return Math.min(LAG_COUNT_LIMIT, sequenced.sequence - at + beyondSequenced);
    }
    return read(after);
  };
  return (after) => {
    let figure = counted.get(after);
    if (!figure) counted.set(after, (figure = count(after)));
    return figure;
  };
}

/** Events after `after` up to and including `head`, read page by page, at most LAG_COUNT_LIMIT. */
async function countByReading(eventStore: EventStore, after: LogPosition, head: LogPosition): Promise<number> {
  let counted = 0;
  let from = after;
  while (counted < LAG_COUNT_LIMIT) {
    const page = await eventStore.readAll({ after: from, limit: Math.min(COUNT_PAGE, LAG_COUNT_LIMIT - counted) });
    const upToHead = page.filter((e) => e.position <= head);
    counted += upToHead.length;
    if (upToHead.length < page.length || page.length === 0) break;
    from = page.at(-1)!.position;
  }
  return counted;
}
