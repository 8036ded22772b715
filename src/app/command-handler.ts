import { setTimeout as sleep } from 'node:timers/promises';
import type { DomainEvent, EventMetadata, NewEvent, RecordedEvent } from '../../events/envelope.ts';
import { currentSchemaVersion } from '../../events/upcasters.ts';
import { readEventData } from '../../events/validation.ts';
import type { Decider } from '../../commands/decider.ts';
import { DomainError } from '../../commands/errors.ts';
import { WrongExpectedRevisionError, type EventStore } from '../ports/event-store.ts';
import { newId, uuidFromName } from './ids.ts';

/** Turns stored events into domain events and back; the act family seals personal fields here. */
export interface EventCodec<Event extends DomainEvent> {
  /** The event at the current schema version of its type; throws InvalidEventError when it does not match its schema. */
  decode(recorded: RecordedEvent): Promise<Event>;
  encode(event: Event, streamName: string): Promise<Pick<NewEvent, 'type' | 'data'>>;
}

/** Events stored as they are: read through their upcasters and checked against their schema (events/validation.ts). */
export const plainCodec = <Event extends DomainEvent>(): EventCodec<Event> => ({
  // The cast is earned: the data has just been checked against the schema of its type.
  decode: async (r) => ({ type: r.type, data: readEventData(r) }) as unknown as Event,
  encode: async (e) => ({ type: e.type, data: e.data as Record<string, unknown> }),
});

/** Who and when: what every event's metadata records of the command that caused it. */
export interface CommandContext {
  actor: string;
  correlationId?: string;
  causationId?: string;
  /** Makes event ids deterministic, so a retried request cannot write twice. */
  idempotencyKey?: string;
  /** ISO time the command was decided at (the caller's clock). */
  now: string;
}

/** A stream's folded state and the revision of its last event (-1: no stream yet). */
export interface Loaded<State> {
  state: State;
  revision: number;
}

export interface CommandResult<State, Event> extends Loaded<State> {
  /** What this command appended; empty when it appended nothing (or repeated an earlier write). */
  events: Event[];
  /** Global position of the last event appended (or repeated); absent when nothing was. */
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

export interface HandleCommand<State, Command, Event extends DomainEvent> {
  store: EventStore;
  streamName: string;
  decider: Decider<State, Command, Event>;
  command: Command;
  context: CommandContext;
  /** Default: events stored as they are (only the act family seals). */
  codec?: EventCodec<Event>;
  /** The state the caller has just loaded (or a snapshot of it): the first attempt decides on it. */
  known?: Loaded<State>;
  /**
   * Ids for events whose identity is their content (a purge's stretch of the log); by default ids
   * come from the idempotency key when there is one, else are random.
   */
  eventId?: (event: Event, index: number) => string;
  retry?: RetryPolicy;
}

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
 * The one command path every stream's writes go through: read -> fold -> decide -> append at the
 * revision read. Another writer in between makes the append conflict; the stream is then folded
 * afresh and the command decided again, after a jittered back-off, a bounded number of times. A
 * repeat of events an idempotency key already wrote answers from what the store kept.
 */
export async function handleCommand<State, Command, Event extends DomainEvent>(
  options: HandleCommand<State, Command, Event>,
): Promise<CommandResult<State, Event>> {
  const { store, streamName, decider, command, context, known } = options;
  const codec = options.codec ?? plainCodec<Event>();
  const retry = options.retry ?? DEFAULT_RETRY;
  const correlationId = context.correlationId ?? newId();
  for (let attempt = 1; ; attempt++) {
    const loaded = attempt === 1 && known ? known : await loadState(store, streamName, decider, codec);
    const events = decider.decide(command, loaded.state);
    if (events.length === 0) return { events, state: loaded.state, revision: loaded.revision, replayed: false };

    const toStore: NewEvent[] = [];
    for (const [i, e] of events.entries()) {
      const { type, data } = await codec.encode(e, streamName);
      toStore.push({ type, data, metadata: metadataOf(options, e, i, correlationId) });
    }
    try {
      const result = await store.append(streamName, toStore, loaded.revision < 0 ? 'no-stream' : loaded.revision);
      if (result.repeated) {
        // Another request with this key got there first: answer from what it stored, never from our own decision.
        const stored = await loadState(store, streamName, decider, codec);
        return { events: [], ...stored, position: result.position, replayed: true };
      }
      let state = loaded.state;
      for (const e of events) state = decider.evolve(state, e);
      return { events, state, revision: result.nextExpectedRevision, position: result.position, replayed: false };
    } catch (error) {
      if (!(error instanceof WrongExpectedRevisionError)) throw error;
      if (attempt >= retry.attempts) throw contentionExhausted(streamName, attempt);
      await sleep(backoffDelayMs(retry, attempt));
    }
  }
}

function metadataOf<State, Command, Event extends DomainEvent>(
  { streamName, context, eventId }: HandleCommand<State, Command, Event>,
  event: Event,
  index: number,
  correlationId: string,
): EventMetadata {
  return {
    eventId: eventId?.(event, index) ?? (context.idempotencyKey ? uuidFromName(`${streamName}:${context.idempotencyKey}:${index}`) : newId()),
    correlationId,
    ...(context.causationId ? { causationId: context.causationId } : {}),
    occurredAt: context.now,
    actor: context.actor,
    schemaVersion: currentSchemaVersion(event.type),
  };
}

/** Folds a stream into its current state (read-your-writes: straight from the store). */
export async function loadState<State, Event extends DomainEvent>(
  store: EventStore,
  streamName: string,
  decider: Pick<Decider<State, unknown, Event>, 'initialState' | 'evolve'>,
  codec: EventCodec<Event> = plainCodec<Event>(),
): Promise<Loaded<State>> {
  const recorded = await store.readStream(streamName);
  let state = decider.initialState();
  for (const r of recorded) state = decider.evolve(state, await codec.decode(r));
  return { state, revision: recorded.length - 1 };
}
