import { afterEach, describe, expect, it, vi } from 'vitest';
import { requireChromium, requireRedis } from '../support/requirements.ts';

// CI sets LEDGER_REQUIRE_*=1 so that a machine without Redis or Chromium fails instead of skipping.
describe('test requirements (what .ci/run relies on)', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
    vi.restoreAllMocks();
  });

  it('skips, saying so, when Chromium is missing and not required', () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    process.env.CHROMIUM_PATH = '/nonexistent/chromium';
    delete process.env.LEDGER_REQUIRE_CHROMIUM;
    expect(requireChromium('verify page')).toBe(false);
    expect(log).toHaveBeenCalledWith(expect.stringMatching(/^SKIPPED: verify page/));
  });

  it('fails when Chromium is missing and LEDGER_REQUIRE_CHROMIUM=1', () => {
    process.env.CHROMIUM_PATH = '/nonexistent/chromium';
    process.env.LEDGER_REQUIRE_CHROMIUM = '1';
    expect(() => requireChromium()).toThrow(/LEDGER_REQUIRE_CHROMIUM=1/);
  });

  it('runs when Chromium is where CHROMIUM_PATH says', () => {
    process.env.CHROMIUM_PATH = process.execPath; // any executable stands in
    process.env.LEDGER_REQUIRE_CHROMIUM = '1';
    expect(requireChromium()).toBe(true);
  });

  it('fails when no Redis answers, none can be started, and LEDGER_REQUIRE_REDIS=1', async () => {
    process.env.REDIS_URL = 'redis://127.0.0.1:1';
    process.env.PATH = '/nonexistent';
    process.env.LEDGER_REQUIRE_REDIS = '1';
    await expect(requireRedis()).rejects.toThrow(/LEDGER_REQUIRE_REDIS=1/);
    delete process.env.LEDGER_REQUIRE_REDIS;
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    expect(await requireRedis()).toBe(false);
  });
});
