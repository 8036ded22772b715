import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../test/support/server.ts';
import type { Scenario } from '../scenario.ts';

const SCRIPT = fileURLToPath(new URL('../bare-server.mjs', import.meta.url));
const START_TIMEOUT_MS = 10_000;

const running = new Set<ChildProcess>();
// An error or exit of the bench must not leave a bare server behind.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * A bare fastify JSON route (bench/bare-server.mjs) in a process of its own, as the ledger runs
 * in its own: the ceiling for every other row, measured the same way, in the same run.
 */
export const bareRoute: Scenario = {
  id: 'bare',
  route: 'GET /bare (plain fastify)',
  baseline: true,
  async prepare() {
    let lastError: unknown;
    // Another process may take the probed port before the server binds it: try a few ports.
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const server = await startBareServer(await freePort());
        return { target: { url: `${server.url}/bare` }, close: server.stop };
      } catch (error) {
        lastError = error;
        if (!String(error).includes('EADDRINUSE')) throw error;
      }
    }
    throw lastError;
  },
};

async function startBareServer(port: number): Promise<{ url: string; stop: () => Promise<void> }> {
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [SCRIPT], { env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'pipe'] });
  running.add(child);
  let errors = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (errors += chunk));
  let hasExited = false;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      hasExited = true;
      running.delete(child);
      resolve();
    }),
  );
  const stop = async () => {
    if (hasExited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };

  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (hasExited) throw new Error(`the bare server exited before answering:\n${errors}`);
    try {
      if ((await fetch(`${url}/bare`, { signal: AbortSignal.timeout(1000) })).ok) return { url, stop };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await stop();
  throw new Error(`the bare server did not answer within ${START_TIMEOUT_MS} ms:\n${errors}`);
}
