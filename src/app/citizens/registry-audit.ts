import { streamNames } from '../../../events/envelope.ts';
import { REGISTRY_AUDIT_SECTOR, type CitizenField, type MobileKeyField, type RegistryEvent } from '../../../events/registry.ts';
import type { Decider } from '../../../commands/decider.ts';
import type { EventStore } from '../../ports/event-store.ts';
import { handleCommand } from '../command-handler.ts';

/**
 * Registry events carry no state to decide on: each one records a change the registry store has
 * already made. The command is the event itself; the stream only orders them.
 */
const recordDecider: Decider<null, RegistryEvent, RegistryEvent> = {
  initialState: () => null,
  evolve: (state) => state,
  decide: (event) => [event],
};

export interface RegistryAuditOptions {
  store: EventStore;
  /** The keyed pseudonym of an AIFO in a sector: Pseudonyms.bsi, which remembers nothing. */
  pseudonym: (sector: string, aifo: string) => string;
  clock: () => Date;
}

/**
 * Writes the registry's changes to the log, by whom: a person is named by the pseudonym of their
 * AIFO in the `registry-audit` sector, a change by the names of the fields it changed. Recorded
 * after the registry store has written (the store is not the log: a crash in between loses the
 * record, never the change), so an audit record never claims a change that did not happen.
 */
export class RegistryAudit {
  constructor(private readonly options: RegistryAuditOptions) {}

  /** The subject a person's registry events name; the same person always gets the same one. */
  subjectOf(aifo: string): string {
    return this.options.pseudonym(REGISTRY_AUDIT_SECTOR, aifo);
  }

  async citizenChanged(aifo: string, created: boolean, fields: CitizenField[], actor: string): Promise<void> {
    const subject = this.subjectOf(aifo);
    await this.record(subject, { type: 'CitizenRecordChanged', data: { subject, created, fields, changedAt: this.now() } }, actor);
  }

  async mobileKeyRegistered(aifo: string, deviceId: string, created: boolean, fields: MobileKeyField[], actor: string): Promise<void> {
    const subject = this.subjectOf(aifo);
    await this.record(subject, { type: 'MobileKeyRegistered', data: { subject, deviceId, created, fields, registeredAt: this.now() } }, actor);
  }

  async mobileKeyRemoved(aifo: string, deviceId: string, reason: 'admin' | 'unregistered', actor: string): Promise<void> {
    const subject = this.subjectOf(aifo);
    await this.record(subject, { type: 'MobileKeyRemoved', data: { subject, deviceId, reason, removedAt: this.now() } }, actor);
  }

  async citizensImported(counts: { created: number; updated: number; unchanged: number; refused: number }, actor: string): Promise<void> {
    const { created, updated, unchanged, refused } = counts;
    await this.append(streamNames.registryImports, { type: 'CitizensImported', data: { created, updated, unchanged, refused, importedAt: this.now() } }, actor);
  }

  private record(subject: string, event: RegistryEvent, actor: string): Promise<void> {
    return this.append(streamNames.registry(subject), event, actor);
  }

  private async append(streamName: string, event: RegistryEvent, actor: string): Promise<void> {
    await handleCommand({ store: this.options.store, streamName, decider: recordDecider, command: event, context: { actor, now: this.now() } });
  }

  private now(): string {
    return this.options.clock().toISOString();
  }
}
