import { collectDefaultMetrics, Registry } from 'prom-client';

let shared: Registry | undefined;

/**
 * The process's own figures (CPU, resident memory, heap and its spaces, handles, event-loop lag, GC
 * durations, Node version), collected once per process however many ledgers it builds. Once, because
 * prom-client's collectors cannot be stopped: each call leaves an event-loop delay histogram and a GC
 * observer running for the life of the process, so one per ledger would pile up where many ledgers
 * are built (tests). They describe the process, not a ledger, so sharing them loses nothing. It holds
 * no connection and nothing to close; each ledger's exposition merges it with its own registry.
 */
export function processMetrics(): Registry {
  if (!shared) {
    shared = new Registry();
    collectDefaultMetrics({ register: shared });
  }
  return shared;
}
