import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { redisAvailable } from './redis.ts';

/*
 * Suites that need Redis or Chromium skip, saying so, on a machine without them. Under
 * LEDGER_REQUIRE_REDIS=1 / LEDGER_REQUIRE_CHROMIUM=1 (set by .ci/run) a missing one is a failure
 * instead, so CI cannot pass by skipping. Use: `describe.skipIf(!(await requireRedis()))(...)`.
 */

const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
const CHROMIUM_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

/** Where Chromium is: CHROMIUM_PATH when set, else the Debian locations; undefined when none is executable. */
export function chromiumPath(): string | undefined {
  const given = process.env.CHROMIUM_PATH;
  return (given ? [given] : CHROMIUM_CANDIDATES).find(executable);
}

/** True when Chromium can be launched; throws under LEDGER_REQUIRE_CHROMIUM=1 when it cannot. */
export function requireChromium(suite = 'browser tests'): boolean {
  const path = chromiumPath();
  if (path) return true;
  return missing('LEDGER_REQUIRE_CHROMIUM', suite, `no Chromium at ${process.env.CHROMIUM_PATH ?? CHROMIUM_CANDIDATES.join(' or ')}`);
}

/**
 * True when REDIS_URL (default redis://127.0.0.1:6379) answers PING, or a redis-server binary is
 * there for the test to start its own; throws under LEDGER_REQUIRE_REDIS=1 when neither.
 */
export async function requireRedis(suite = 'Redis tests'): Promise<boolean> {
  const url = process.env.REDIS_URL ?? DEFAULT_REDIS_URL;
  if (await redisAvailable(url)) return true;
  if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0) return true;
  return missing('LEDGER_REQUIRE_REDIS', suite, `${url} does not answer and redis-server is not installed`);
}

function missing(variable: string, suite: string, reason: string): false {
  if (process.env[variable] === '1') throw new Error(`${variable}=1 but ${reason}`);
  console.log(`SKIPPED: ${suite} (${reason}; set ${variable}=1 to make this a failure)`);
  return false;
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
