import type { Projection } from './projection.ts';

/**
 * Every read model the ledger keeps. The projection runner feeds each of them every event; add a
 * projection here and it is built from the whole history at the next start.
 */
export const projections: Projection[] = [];
