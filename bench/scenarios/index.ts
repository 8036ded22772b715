import type { Scenario } from '../scenario.ts';
import { bareRoute } from './bare.ts';
import { authenticatedNoOp } from './provider-profile.ts';
import { tokenIssuance } from './token.ts';
import { codeFlow, registerAct } from './acts.ts';

/** Every benchmark, in the order it runs. A new one is a file here and a line below. */
export const scenarios: Scenario[] = [bareRoute, tokenIssuance, authenticatedNoOp, registerAct, codeFlow];
