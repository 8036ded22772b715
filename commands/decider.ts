import type { DomainEvent } from '../events/envelope.ts';

/**
 * A decider: the rules of one stream family as three pure functions.
 * No I/O and no clock: time and random values arrive inside the command.
 */
export interface Decider<State, Command, Event extends DomainEvent> {
  initialState(): State;
  evolve(state: State, event: Event): State;
  /** Returns the events the command causes, or throws a DomainError. */
  decide(command: Command, state: State): Event[];
}

export function fold<State, Event extends DomainEvent>(
  decider: Pick<Decider<State, unknown, Event>, 'initialState' | 'evolve'>,
  events: Iterable<Event>,
): State {
  let state = decider.initialState();
  for (const e of events) state = decider.evolve(state, e);
  return state;
}
