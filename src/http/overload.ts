import underPressure from '@fastify/under-pressure';
import type { FastifyInstance } from 'fastify';
import { getHeapStatistics } from 'node:v8';
import type { LedgerConfig } from '../config.ts';
import { isBrowserPath } from './request-framing.ts';
import { HttpProblem } from './problems.ts';
import { documentProblems } from './problem-docs.ts';

/** What an operator looks at when the ledger is overloaded: these answer whatever the pressure. */
const ALWAYS_ANSWERED = new Set(['/healthz', '/readyz', '/metrics']);
const RETRY_AFTER_SECONDS = 10;

const pressureWords: Record<string, string> = {
  eventLoopDelay: 'its event loop is running late',
  heapUsedBytes: 'its memory is nearly full',
};

/** The heap use past which the ledger refuses work: the configured bytes, or 90 % of V8's heap limit. */
export function heapLimit(configured: number): number {
  return configured > 0 ? configured : Math.floor(getHeapStatistics().heap_size_limit * 0.9);
}

/**
 * Overload answers 503 with Retry-After at once (problem `overloaded`), instead of queueing every
 * request behind a late event loop or a full heap and slowing everyone. @fastify/under-pressure
 * samples both once a second; a request arriving while a sample is past its limit is refused in
 * onRequest, before anything is read or authenticated. An event-loop limit of 0 turns that check off.
 */
export async function refuseWhenOverloaded(app: FastifyInstance, overload: LedgerConfig['overload']): Promise<void> {
  app.addHook('onRoute', (route) => {
    if (!ALWAYS_ANSWERED.has(route.url) && !isBrowserPath(route.url)) documentProblems(route, ['overloaded']);
  });
  await app.register(underPressure, {
    maxEventLoopDelay: overload.maxEventLoopDelayMs,
    maxHeapUsedBytes: heapLimit(overload.maxHeapUsedBytes),
    pressureHandler: (request, _reply, type) => {
      const route = request.routeOptions.url;
      if (route !== undefined && ALWAYS_ANSWERED.has(route)) return undefined;
      return Promise.reject(
        new HttpProblem('overloaded', `the ledger is refusing work for a moment: ${pressureWords[type] ?? 'it is overloaded'}`, {}, { 'retry-after': String(RETRY_AFTER_SECONDS) }),
      );
    },
  });
}
