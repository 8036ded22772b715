import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/ledger.ts';
import { startProcess, type RunningProcess } from '../support/server.ts';

/**
 * The production build: `npm run build` compiles the sources, and the compiled `ledger serve` runs
 * with plain node. It runs from a directory whose node_modules lacks tsx, so nothing in the build
 * may reach for the TypeScript loader (the projection thread's entry included), and the files it
 * loads at run time (page assets, the thread's entry) must have been put beside the compiled code.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// Bounds, not timing assertions: the compiler on a busy two-core machine.
const BUILD_TIMEOUT_MS = 5 * 60_000;

function npmRunBuild(outDir: string): Promise<{ code: number | null; output: string }> {
  // Without npm_* variables from an outer `npm test`, which would steer the inner npm.
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', 'build', '--', '--outDir', outDir], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

/** The project's installed packages, but for tsx (and the dev tools' bin links), linked one by one. */
function installWithoutTsx(app: string): void {
  const modules = join(app, 'node_modules');
  mkdirSync(modules);
  for (const name of readdirSync(join(ROOT, 'node_modules'))) {
    if (name === 'tsx' || name === '.bin' || name.startsWith('.')) continue;
    symlinkSync(join(ROOT, 'node_modules', name), join(modules, name));
  }
}

describe('the production build (`npm run build`)', () => {
  let app: string;
  let dataDir: string;
  let build: { code: number | null; output: string };
  let server: RunningProcess | undefined;
  const adminToken = randomBytes(18).toString('base64url');

  beforeAll(async () => {
    app = tempDir('ledger-build-');
    dataDir = tempDir('ledger-build-data-');
    installWithoutTsx(app);
    build = await npmRunBuild(join(app, 'dist'));
  }, BUILD_TIMEOUT_MS);

  afterAll(async () => {
    await server?.stop();
    if (app) rmSync(app, { recursive: true, force: true });
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('compiles the sources to JavaScript and ships nothing of the development install', () => {
    expect(build.code, `npm run build failed:\n${build.output}`).toBe(0);
    const dist = join(app, 'dist');
    for (const file of ['src/cli/ledger.js', 'src/cli/main.js', 'commands', 'events', 'projections', 'tlog/index.js', 'src/http/assets/verify.js', 'src/composition/projection-thread-boot.mjs']) {
      expect(existsSync(join(dist, file)), file).toBe(true);
    }
    expect(existsSync(join(dist, 'bench'))).toBe(false);
    expect(existsSync(join(dist, 'test'))).toBe(false);
    expect(existsSync(join(app, 'node_modules', 'tsx'))).toBe(false);
  });

  it('`node dist/src/cli/ledger.js serve` answers /readyz, serves its assets, and its projection thread projects', async () => {
    expect(build.code).toBe(0);
    server = await startProcess({
      args: [join(app, 'dist', 'src', 'cli', 'ledger.js'), 'serve'],
      env: { HOST: '127.0.0.1', LEDGER_DATA_DIR: dataDir, LEDGER_ADMIN_TOKEN: adminToken, NODE_ENV: 'production' },
      readyPath: '/readyz',
    });
    const { url } = server;

    // Files read by path at start and served from memory: the build must have copied them.
    for (const asset of ['/assets/verify.js', '/assets/ledger.css', '/assets/noble/sha2.js']) {
      expect((await fetch(`${url}${asset}`)).status, asset).toBe(200);
    }

    // An event the projection thread (started from the copied entry, the compiled root) must project.
    const changed = await fetch(`${url}/api/v1/admin/retention`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ failedAuthorizationRetention: 'PT48H', purgeEvery: 'PT10M' }),
    });
    expect(changed.status, await changed.clone().text()).toBe(200);

    type Ready = { status: string; checks: { projections: { running: boolean; lagEvents: number; headPosition: number; projections: unknown[] } } };
    let ready: Ready | undefined;
    const until = Date.now() + 30_000;
    do {
      const res = await fetch(`${url}/readyz`);
      ready = (await res.json()) as Ready;
      if (res.status === 200 && ready.checks.projections.headPosition > 0 && ready.checks.projections.lagEvents === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    } while (Date.now() < until);
    expect(ready.status, server.logs()).toBe('ready');
    expect(ready.checks.projections).toMatchObject({ running: true, lagEvents: 0 });
    expect(ready.checks.projections.headPosition).toBeGreaterThan(0);
    expect(ready.checks.projections.projections.length).toBeGreaterThan(0);
    expect(server.logs()).not.toMatch(/projection thread (failed|stopped)/);
  }, 90_000);
});
