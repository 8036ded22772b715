import type { Scenario, Workload } from '../scenario.ts';
import { bareRoute, durableFloor, jsonFloor } from './reference.ts';
import { authenticatedNoOp } from './provider-profile.ts';
import { tokenIssuance } from './token.ts';
import { codeFlow, registerAct } from './acts.ts';
import { publicLookup } from './public-lookup.ts';
import { resultRead } from './result-read.ts';
import { projectionLag } from './projection-lag.ts';
import { purgeWorkload } from './purge.ts';
import { transparencyLogWorkload } from './transparency-log.ts';
import { replayWorkload } from './replay.ts';
import { scaleWorkload } from './scale.ts';

/** Every benchmark, in the order it runs. A new one is a file here and a line below. */
export const scenarios: Scenario[] = [bareRoute, jsonFloor, durableFloor, tokenIssuance, authenticatedNoOp, registerAct, codeFlow, resultRead, publicLookup, projectionLag];

/** Measurements that are no HTTP route, each reported as its own line after the table. */
export const workloads: Workload[] = [purgeWorkload, replayWorkload, transparencyLogWorkload, scaleWorkload];
