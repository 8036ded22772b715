import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, lstatSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/ledger.ts';
import { freePort } from '../support/server.ts';

/**
 * The install the image makes (`npm ci --omit=dev`, see the Dockerfile), in a copy of the project's
 * files: the lock file must satisfy `npm ci`, and `ledger serve` must start without any
 * devDependency, from the sources and from the compiled build the image runs. The npm cache is
 * warm after the project's own install, so it runs offline-friendly.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// Generous bounds, not timing assertions: installing compiles better-sqlite3 on a two-core machine.
const INSTALL_TIMEOUT_MS = 10 * 60_000;
const START_TIMEOUT_MS = 2 * 60_000;

/** This process's environment without what `npm test` adds (npm_config_* would steer the inner npm). */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!/^npm_/i.test(key)) env[key] = value;
  return { ...env, ...extra };
}

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = cleanEnv()): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** The project's files as a clone has them (plus files not yet added, so a work tree tests itself). */
function copyProject(to: string): void {
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' });
  for (const file of new Set(listed.split('\0').filter(Boolean))) {
    const from = join(ROOT, file);
    // A tracked file deleted in the work tree is listed all the same.
    if (!existsSync(from) && !isSymlink(from)) continue;
    mkdirSync(dirname(join(to, file)), { recursive: true });
    cpSync(from, join(to, file), { verbatimSymlinks: true });
  }
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

describe('a production install (`npm ci --omit=dev`, as the image makes it)', () => {
  let dir: string;
  let dataDir: string;
  let distDataDir: string;
  let install: Finished;
  let build: Finished;

  beforeAll(async () => {
    dir = tempDir('ledger-production-install-');
    dataDir = tempDir('ledger-production-data-');
    distDataDir = tempDir('ledger-production-dist-data-');
    copyProject(dir);
    // As the image's two stages: the build made by the full install (this project's), its output
    // put beside the production install, which has no compiler.
    [install, build] = await Promise.all([
      run('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline'], dir),
      run('npm', ['run', 'build', '--', '--outDir', join(dir, 'dist')], ROOT),
    ]);
  }, INSTALL_TIMEOUT_MS);

  afterAll(() => {
    for (const child of children) child.kill('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    if (distDataDir) rmSync(distDataDir, { recursive: true, force: true });
  });

  it('`npm ci --omit=dev` accepts the lock file', () => {
    expect(install.code, `npm ci --omit=dev failed:\n${install.stdout}\n${install.stderr}`).toBe(0);
    expect(existsSync(join(dir, 'node_modules', 'fastify'))).toBe(true);
    expect(existsSync(join(dir, 'node_modules', 'tsx'))).toBe(true);
  });

  it('installs none of the test and bench tools', () => {
    expect(install.code).toBe(0);
    const dev = Object.keys((JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies);
    expect(dev).toEqual(expect.arrayContaining(['oidc-provider', 'autocannon', 'vitest']));
    // Type declarations execute nothing, and dependencies may bring their own (protobufjs brings @types/node).
    const present = dev.filter((name) => !name.startsWith('@types/') && existsSync(join(dir, 'node_modules', name)));
    expect(present).toEqual([]);
  });

  /** Starts `node <entry> serve` in the install and waits until `path` answers 200; stops it after. */
  async function serveAnswers(entry: string, path: string, data: string): Promise<void> {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const env = cleanEnv({
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      LEDGER_PUBLIC_URL: url,
      LEDGER_DATA_DIR: data,
      LEDGER_ADMIN_TOKEN: randomBytes(18).toString('base64url'),
    });
    const child = spawn(process.execPath, [entry, 'serve'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let output = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    const exit = new Promise<void>((resolve) =>
      child.once('exit', (code, signal) => {
        exited = { code, signal };
        children.delete(child);
        resolve();
      }),
    );
    try {
      let status: number | undefined;
      const deadline = Date.now() + START_TIMEOUT_MS;
      while (status !== 200 && !exited && Date.now() < deadline) {
        try {
          status = (await fetch(`${url}${path}`, { signal: AbortSignal.timeout(1000) })).status;
        } catch {
          // not listening yet
        }
        if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(exited, `${entry} serve exited before answering ${path}:\n${output}`).toBeUndefined();
      expect(status, `${entry} serve did not answer ${path}:\n${output}`).toBe(200);
    } finally {
      if (!exited) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exit;
        clearTimeout(timer);
      }
    }
  }

  it('`ledger serve` starts and answers /healthz', async () => {
    expect(install.code).toBe(0);
    await serveAnswers('bin/ledger.mjs', '/healthz', dataDir);
  }, START_TIMEOUT_MS + 30_000);

  it('the compiled ledger (`npm run build`, as the image runs it) serves from this install: /readyz answers, its projection thread up', async () => {
    expect(install.code).toBe(0);
    expect(build.code, `npm run build failed:\n${build.stdout}\n${build.stderr}`).toBe(0);
    // /readyz asks the projection thread for its lag: 200 means the thread started from the build.
    await serveAnswers('dist/src/cli/ledger.js', '/readyz', distDataDir);
  }, START_TIMEOUT_MS + 30_000);

  it('`ledger bench` says in one line what this install lacks, without a stack trace', async () => {
    expect(install.code).toBe(0);
    const bench = await run(process.execPath, ['bin/ledger.mjs', 'bench'], dir);
    expect(bench.code).toBe(1);
    expect(bench.stderr).toMatch(/ledger bench needs the development install.*autocannon/);
    expect(bench.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);
});
