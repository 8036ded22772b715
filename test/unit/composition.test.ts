import { readdirSync, readlinkSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildLedger } from '../../src/composition/ledger.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { routeGroup } from '../../src/http/route-group.ts';
import { testConfig } from '../support/ledger.ts';

/** Files this process holds open under `dir` (every thread's included: they share the table). */
function openFilesUnder(dir: string): string[] {
  return readdirSync('/proc/self/fd')
    .map((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        return '';
      }
    })
    .filter((target) => target.startsWith(dir));
}

describe('the composition root', () => {
  it('closes everything it started when the build fails part-way, projection thread included', async () => {
    const config = testConfig();
    let threadWasRunning = false;
    const failing = routeGroup(['projections'], async (_app, { services }) => {
      // By now the projection thread runs and both SQLite files are open.
      threadWasRunning = (await services.projections.lag()).running && openFilesUnder(config.dataDir).length > 0;
      throw new Error('a route group could not be built');
    });
    await expect(buildLedger(config, { logger: createLogger('silent'), extraRoutes: [failing] })).rejects.toThrow('a route group could not be built');
    expect(threadWasRunning).toBe(true);
    // The thread's connections are file descriptors of this process too: none is left, so no thread is.
    expect(openFilesUnder(config.dataDir)).toEqual([]);
  });

  it('builds, closes, and leaves no file open', async () => {
    const config = testConfig();
    const ledger = await buildLedger(config, { logger: createLogger('silent') });
    expect(openFilesUnder(config.dataDir).length).toBeGreaterThan(0);
    await ledger.close();
    expect(openFilesUnder(config.dataDir)).toEqual([]);
  });
});

describe('configuration is validated in one place, before anything is built', () => {
  it.each([
    [{ LEDGER_EVENT_STORE: 'eventstoredb' }, /LEDGER_EVENT_STORE=eventstoredb needs EVENTSTORE_URL/],
    [{ LEDGER_READ_MODELS: 'mongodb' }, /LEDGER_READ_MODELS=mongodb needs MONGODB_URL/],
    [{ LEDGER_IDENTITY_PROVIDER: 'oidc' }, /needs OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET/],
    [{ LEDGER_ENVIRONMENT: 'production' }, /the production environment needs a real notifier/],
    [{ LEDGER_JOBS: 'cron' }, /LEDGER_JOBS must be one of inprocess, bullmq/],
    [{ LEDGER_HTTP_IDLE_TIMEOUT: 'PT0S' }, /LEDGER_HTTP_IDLE_TIMEOUT must be from PT1S/],
  ])('%o is refused with what to set', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('names the adapters it chose, with what they need', () => {
    expect(loadConfig({}).eventStore).toEqual({ kind: 'sqlite' });
    expect(loadConfig({ LEDGER_READ_MODELS: 'mongodb', MONGODB_URL: 'mongodb://db/ledger' }).readModels).toEqual({ kind: 'mongodb', url: 'mongodb://db/ledger' });
    expect(loadConfig({ LEDGER_IDENTITY_PROVIDER: 'oidc', OIDC_ISSUER: 'https://op', OIDC_CLIENT_ID: 'c', OIDC_CLIENT_SECRET: 's' }).identityProvider).toMatchObject({ kind: 'oidc', issuer: 'https://op' });
  });
});
