import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { tempDir } from './ledger.ts';

/**
 * A redis-server of the test's own, on a free port. stop() kills it (an outage); start() brings it
 * back on the same port, empty, or with its data when started with `persist`.
 */
export interface PrivateRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it for good and removes its working dir. */
  dispose(): Promise<void>;
}

/** True when a Redis at `url` answers PING within `timeoutMs`. */
export async function redisAvailable(url: string, timeoutMs = 1_000): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** Launches a private redis-server; rejects when redis-server cannot start. `persist`: an fsync'd append-only file keeps data across stop/start. */
export async function startRedis(options: { persist?: boolean } = {}): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = tempDir('redis-');
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const killOnExit = () => child?.kill('SIGKILL');
  process.once('exit', killOnExit);

  const start = async () => {
    if (child) return;
    const persistence = options.persist ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence, '--dir', dir, '--loglevel', 'warning'];
    const started = spawn('redis-server', args, { stdio: 'ignore' });
    child = started;
    const failed = new Promise<never>((_, reject) => {
      started.once('error', (error) => reject(error));
      started.once('exit', (code) => reject(new Error(`redis-server exited with ${code}`)));
    });
    failed.catch(() => undefined);
    const deadline = Date.now() + 10_000;
    while (!(await Promise.race([redisAvailable(url, 500), failed]))) {
      if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer within 10 s`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const stop = async () => {
    const running = child;
    if (!running) return;
    child = undefined;
    if (running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    // SIGKILL: an abrupt outage, as a crashed or unplugged Redis would be.
    running.kill('SIGKILL');
    await exited;
  };

  try {
    await start();
  } catch (error) {
    await stop();
    process.removeListener('exit', killOnExit);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url,
    port,
    start,
    stop,
    dispose: async () => {
      await stop();
      process.removeListener('exit', killOnExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The Redis a test suite runs against: REDIS_URL when it answers, else a private redis-server.
 * Undefined when neither is possible (the caller skips and says so), unless LEDGER_REQUIRE_REDIS=1,
 * where it throws instead, so CI cannot pass by skipping.
 */
export async function redisForTests(): Promise<{ url: string; dispose(): Promise<void> } | undefined> {
  const shared = process.env.REDIS_URL;
  if (shared && (await redisAvailable(shared))) return { url: shared, dispose: async () => undefined };
  try {
    return await startRedis();
  } catch (error) {
    const reason = `REDIS_URL ${shared ? 'does not answer' : 'is not set'} and redis-server could not start: ${error instanceof Error ? error.message : String(error)}`;
    return noRedis(reason);
  }
}

/** A private redis-server the test may stop and start; undefined (skip) or a throw under LEDGER_REQUIRE_REDIS=1 when there is none. */
export async function privateRedisForTests(options: { persist?: boolean } = {}): Promise<PrivateRedis | undefined> {
  try {
    return await startRedis(options);
  } catch (error) {
    return noRedis(`redis-server could not start: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function noRedis(reason: string): undefined {
  if (process.env.LEDGER_REQUIRE_REDIS === '1') throw new Error(`LEDGER_REQUIRE_REDIS=1 but no Redis: ${reason}`);
  console.warn(`SKIPPED: BullMQ tests (no Redis): ${reason}`);
  return undefined;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (!address || typeof address === 'string') throw new Error('no free port');
  return address.port;
}
