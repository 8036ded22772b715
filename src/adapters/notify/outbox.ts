import type { CodeMessage, Notifier, OutboxMessage, SimulatedPhones } from '../../ports/notifier.ts';

const KEEP_PER_PERSON = 100;

/**
 * The simulator's notifier: messages kept in memory only, the newest 100 per person, for the
 * simulated phone page. A simulated phone is not a record: nothing here is ever written to disk.
 */
export class OutboxNotifier implements Notifier, SimulatedPhones {
  private readonly byPerson = new Map<string, OutboxMessage[]>();

  constructor(private readonly clock: () => Date = () => new Date()) {}

  async send(message: CodeMessage): Promise<void> {
    const list = this.byPerson.get(message.aifo) ?? [];
    list.push({ channel: message.channel, to: message.to, text: message.text, code: message.code, sentAt: this.clock().toISOString() });
    if (list.length > KEEP_PER_PERSON) list.splice(0, list.length - KEEP_PER_PERSON);
    this.byPerson.set(message.aifo, list);
  }

  /** Messages one person received, oldest first. */
  messagesFor(aifo: string): OutboxMessage[] {
    return [...(this.byPerson.get(aifo) ?? [])];
  }
}
