import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { NO_EVENT_LOOP_CHECK, tempDir } from './ledger.ts';
import { httpsRequest } from './tls-client.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const START_TIMEOUT_MS = 30_000;

/** A child process answering HTTP on a loopback port. */
export interface RunningProcess {
  /** Base URL, e.g. http://127.0.0.1:41234. */
  url: string;
  /** The child's process id (for its memory figures in /proc). */
  pid: number;
  /** Everything the process wrote to stdout (unless discarded) and stderr so far. */
  logs(): string;
  /** Sends a signal and resolves once the process has exited. */
  kill(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL if it has not exited within 5 s. */
  stop(): Promise<void>;
}

export interface RunningServer extends RunningProcess {
  /** Also the ledger's LEDGER_PUBLIC_URL. */
  url: string;
  dataDir: string;
  adminToken: string;
}

const running = new Set<ChildProcess>();
// A failed test must not leave servers behind.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** A port nothing listens on right now (the OS picks it; the server binds it a moment later). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

export interface ProcessOptions {
  /** Arguments to node, e.g. ['bin/ledger.mjs', 'serve']; run from the project root. */
  args: string[];
  /** Added to this process's environment; PORT is set to the port chosen. */
  env?: Record<string, string>;
  /** The path that answers 2xx once the process is up, e.g. /healthz. */
  readyPath: string;
  /**
   * `discard`: the child's stdout (a log line per request) goes to /dev/null, so a load generator
   * in this process spends nothing on it; stderr is still kept for start-up failures. Default `keep`.
   */
  output?: 'keep' | 'discard';
  /** The process serves HTTPS with a certificate this CA issued (for localhost and 127.0.0.1). */
  tlsCa?: string;
  /** How long `readyPath` may take to answer; 30 s unless given (a grown store may open slower). */
  startTimeoutMs?: number;
}

/**
 * Starts `node <args>` listening on a free loopback port (given as PORT) and waits until
 * `readyPath` answers. The child is killed when this process exits. It runs without the overload
 * check (NO_EVENT_LOOP_CHECK) unless `env` sets LEDGER_MAX_EVENT_LOOP_DELAY_MS itself.
 */
export async function startProcess(options: ProcessOptions): Promise<RunningProcess> {
  let lastError: unknown;
  // Another process may take the probed port before the server binds it: try a few ports.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await launch(await freePort(), options);
    } catch (error) {
      lastError = error;
      if (!String(error).includes('EADDRINUSE')) throw error;
    }
  }
  throw lastError;
}

export interface StartOptions {
  /** Pass the old one to restart; a fresh temp dir otherwise. */
  dataDir?: string;
  output?: ProcessOptions['output'];
  /** The ledger serves HTTPS (LEDGER_TLS_* in `env`) with a certificate this CA issued. */
  tlsCa?: string;
  startTimeoutMs?: number;
}

/**
 * Starts the real server process (`node bin/ledger.mjs serve`) on a free loopback port and waits
 * for /healthz. The data dir is a fresh temp dir unless given (pass the old one to restart).
 */
export async function startServer(env: Record<string, string> = {}, opts: StartOptions = {}): Promise<RunningServer> {
  const dataDir = opts.dataDir ?? tempDir('ledger-e2e-');
  const adminToken = env.LEDGER_ADMIN_TOKEN ?? randomBytes(18).toString('base64url');
  const server = await startProcess({
    args: ['bin/ledger.mjs', 'serve'],
    env: { HOST: '127.0.0.1', LEDGER_DATA_DIR: dataDir, LEDGER_ADMIN_TOKEN: adminToken, ...env },
    readyPath: '/healthz',
    output: opts.output ?? 'keep',
    ...(opts.tlsCa ? { tlsCa: opts.tlsCa } : {}),
    ...(opts.startTimeoutMs ? { startTimeoutMs: opts.startTimeoutMs } : {}),
  });
  return { ...server, dataDir, adminToken };
}

async function launch(port: number, { args, env = {}, readyPath, output: stdout = 'keep', tlsCa, startTimeoutMs = START_TIMEOUT_MS }: ProcessOptions): Promise<RunningProcess> {
  const url = `${tlsCa ? 'https' : 'http'}://127.0.0.1:${port}`;
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), ...NO_EVENT_LOOP_CHECK, ...env },
    stdio: ['ignore', stdout === 'discard' ? 'ignore' : 'pipe', 'pipe'],
  });
  running.add(child);
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });
  let hasExited = false;
  void exited.then(() => (hasExited = true));

  const started: RunningProcess = {
    url,
    pid: child.pid!,
    logs: () => output,
    kill: async (signal) => {
      if (!hasExited) child.kill(signal);
      return exited;
    },
    stop: async () => {
      if (hasExited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };

  const name = args.join(' ');
  const deadline = Date.now() + startTimeoutMs;
  while (Date.now() < deadline) {
    if (hasExited) throw new Error(`${name} exited before answering ${readyPath}:\n${output}`);
    try {
      const ok = tlsCa
        ? (await httpsRequest(`${url}${readyPath}`, { ca: tlsCa })).status < 300
        : (await fetch(`${url}${readyPath}`, { signal: AbortSignal.timeout(1000) })).ok;
      if (ok) return started;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await started.kill('SIGKILL');
  throw new Error(`${name} did not answer ${readyPath} within ${startTimeoutMs} ms:\n${output}`);
}
