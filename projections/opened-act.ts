import type { RecordedEvent } from '../events/envelope.ts';
import type { ActRegisteredSealed } from '../events/act.ts';

/**
 * The unsealed personal fields of an ActRegistered, or undefined when they are gone (the act's key
 * was destroyed: `erased`) or incomplete.
 */
export function openedFields(event: RecordedEvent): ActRegisteredSealed | undefined {
  const d = event.data as Partial<ActRegisteredSealed> & { erased?: boolean };
  if (d.erased === true) return undefined;
  if (typeof d.documentHash !== 'string' || typeof d.name !== 'string' || typeof d.aifo !== 'string' || typeof d.sepp !== 'string') return undefined;
  return { sepp: d.sepp, aifo: d.aifo, documentHash: d.documentHash, name: d.name, description: typeof d.description === 'string' ? d.description : '' };
}
