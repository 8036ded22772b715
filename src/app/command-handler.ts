import type { DomainEvent, EventMetadata, NewEvent, RecordedEvent } from '../../events/envelope.ts';
import type { Decider } from '../../commands/decider.ts';
import { WrongExpectedRevisionError, type EventStore } from '../ports/event-store.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { DomainError } from '../../commands/errors.ts';
import { newId, uuidFromName } from './ids.ts';

/** Turns stored events into domain events and back; the act family seals personal fields here. */
export interface EventCodec<Event extends DomainEvent> {
  decode(recorded: RecordedEvent): Promise<Event>;
  encode(event: Event, streamName: string): Promise<Pick<NewEvent, 'type' | 'data'>>;
}

export const plainCodec = <Event extends DomainEvent>(): EventCodec<Event> => ({
  decode: async (r) => ({ type: r.type, data: r.data }) as unknown as Event,
  encode: async (e) => ({ type: e.type, data: e.data as Record<string, unknown> }),
});

export interface CommandContext {
  actor: string;
  correlationId?: string;
  causationId?: string;
  /** Makes event ids deterministic, so a retried request cannot write twice. */
  idempotencyKey?: string;
  /** ISO time the command was decided at (the caller's clock). */
  now: string;
}

export interface CommandResult<State, Event> {
  /** What this command appended; empty when it appended nothing (or repeated an earlier write). */
  events: Event[];
  state: State;
  /** Revision of the stream after the command (-1: still no stream). */
  revision: number;
  position?: number;
  /**
   * The same idempotency key had already written these events: the store kept the first write, and
   * `state` is folded from what it stored (the caller compares it with what it asked for).
   */
  replayed: boolean;
}

/** How often one command decides again after a conflicting append, and how long it waits between. */
export interface RetryPolicy {
  attempts: number;
  /** First back-off ceiling; each further attempt doubles it, up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
}

// Twenty writers on one act each still get their turn: full jitter spreads them over ~1.3 s at worst.
export const DEFAULT_RETRY: RetryPolicy = { attempts: 10, baseDelayMs: 5, maxDelayMs: 250 };
export const SCHEMA_VERSION = 1;

/** Full-jitter exponential back-off: a random wait in [0, min(max, base * 2^(attempt-1))). */
export function backoffDelayMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1)));
}

/** Every attempt lost to another writer: the caller may try again in a moment (409 with Retry-After). */
export function contentionExhausted(streamName: string, attempts: number): DomainError {
  return new DomainError('concurrency-conflict', `other requests kept changing this ${streamName.split('-')[0]} at the same time; try again`, {
    attempts,
    retryAfterSeconds: 1,
  });
}

/**
 * read -> fold -> decide -> append at the revision read. Another writer in between makes the append
 * conflict; the whole cycle then runs again, a bounded number of times. `known`: the state and
 * revision the caller has just loaded, used for the first attempt instead of reading again (a
 * conflict still reads afresh).
 */
export async function handleCommand<State, Command, Event extends DomainEvent>(
  store: EventStore,
  streamName: string,
  decider: Decider<State, Command, Event>,
  command: Command,
  context: CommandContext,
  codec: EventCodec<Event> = plainCodec<Event>(),
  known?: { state: State; revision: number },
  retry: RetryPolicy = DEFAULT_RETRY,
): Promise<CommandResult<State, Event>> {
  for (let attempt = 1; ; attempt++) {
    const loaded = attempt === 1 && known ? known : await loadState(store, streamName, decider, codec);
    let state = loaded.state;
    const revision = loaded.revision;

    const events = decider.decide(command, state);
    if (events.length === 0) return { events, state, revision, replayed: false };

    const correlationId = context.correlationId ?? newId();
    const toStore: NewEvent[] = [];
    for (const [i, e] of events.entries()) {
      const metadata: EventMetadata = {
        eventId: context.idempotencyKey ? uuidFromName(`${streamName}:${context.idempotencyKey}:${i}`) : newId(),
        correlationId,
        ...(context.causationId ? { causationId: context.causationId } : {}),
        occurredAt: context.now,
        actor: context.actor,
        schemaVersion: SCHEMA_VERSION,
      };
      const { type, data } = await codec.encode(e, streamName);
      toStore.push({ type, data, metadata });
    }
    try {
      const result = await store.append(streamName, toStore, revision < 0 ? 'no-stream' : revision);
      if (result.repeated) {
        // Another request with this key got there first: answer from what it stored, never from our own decision.
        const stored = await loadState(store, streamName, decider, codec);
        return { events: [], state: stored.state, revision: stored.revision, position: result.position, replayed: true };
      }
      for (const e of events) state = decider.evolve(state, e);
      return { events, state, revision: result.nextExpectedRevision, position: result.position, replayed: false };
    } catch (error) {
      if (!(error instanceof WrongExpectedRevisionError)) throw error;
      if (attempt >= retry.attempts) throw contentionExhausted(streamName, attempt);
      await sleep(backoffDelayMs(retry, attempt));
    }
  }
}

/** Folds a stream into its current state (read-your-writes: straight from the store). */
export async function loadState<State, Event extends DomainEvent>(
  store: EventStore,
  streamName: string,
  decider: Pick<Decider<State, unknown, Event>, 'initialState' | 'evolve'>,
  codec: EventCodec<Event> = plainCodec<Event>(),
): Promise<{ state: State; revision: number }> {
  const recorded = await store.readStream(streamName);
  let state = decider.initialState();
  for (const r of recorded) state = decider.evolve(state, await codec.decode(r));
  return { state, revision: recorded.length - 1 };
}
