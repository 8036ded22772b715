import type { AuthorizationMethod } from '../../events/act.ts';
import { CUL_ENTRIES, type CulEntryDoc } from '../../projections/cul.ts';
import type { ReadModelStore } from '../ports/read-model-store.ts';

/** One entry of a citizen's log, as the citizen sees it (their AIFO stays inside). */
export interface CitizenLogEntry {
  logType: CulEntryDoc['logType'];
  actId: string;
  providerName: string;
  actName: string;
  description: string;
  documentHash: string;
  method: AuthorizationMethod;
  occurredAt: string;
}

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
    return docs.map(({ logType, actId, providerName, actName, description, documentHash, method, occurredAt }) => ({
      logType,
      actId,
      providerName,
      actName,
      description,
      documentHash,
      method,
      occurredAt,
    }));
  }
}
