import { CUL_ENTRIES, type CulEntryDoc } from '../../../projections/cul.ts';
import type { ReadModelStore } from '../../ports/read-model-store.ts';

/** One entry of a citizen's log, as the citizen sees it: the stored entry without the AIFO. */
export type CitizenLogEntry = Omit<CulEntryDoc, 'aifo'>;

/** The newest entries shown; a citizen with more sees the latest ones. */
const MAX_ENTRIES = 500;

/** The citizen's view of the central log store (CUL): their own entries, newest first. */
export class CitizenLog {
  constructor(private readonly readModels: ReadModelStore) {}

  async entries(aifo: string): Promise<CitizenLogEntry[]> {
    const docs = await this.readModels.find<CulEntryDoc>(CUL_ENTRIES, {
      where: { aifo },
      sort: [{ field: 'occurredAt', direction: 'desc' }],
      limit: MAX_ENTRIES,
    });
    return docs.map(({ aifo: _own, ...entry }) => entry);
  }
}
