import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { connectMongo, MongoDeploymentError } from '../../src/adapters/mongodb/connection.ts';
import { buildLedger } from '../../src/composition/ledger.ts';
import { loadConfig } from '../../src/config.ts';

const STAND_IN = fileURLToPath(new URL('../support/mongo-stand-in.mjs', import.meta.url));

/** A server process of the test's own that answers the driver's handshake and `hello` as `kind` would. */
async function startStandIn(kind: 'standalone' | 'replica-set'): Promise<{ url: string; process: ChildProcess }> {
  const child = spawn(process.execPath, [STAND_IN, kind], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
  return { url: `mongodb://127.0.0.1:${chunk.toString().trim()}/ledger?directConnection=true&serverSelectionTimeoutMS=5000`, process: child };
}

describe('MongoDB connection: a replica set or nothing', () => {
  const started: ChildProcess[] = [];
  afterEach(() => {
    for (const child of started.splice(0)) child.kill('SIGTERM');
  });

  it('refuses a standalone server at once, saying what to fix, instead of retrying transactions for ever', async () => {
    const standIn = await startStandIn('standalone');
    started.push(standIn.process);
    const refused = connectMongo(standIn.url);
    await expect(refused).rejects.toBeInstanceOf(MongoDeploymentError);
    await expect(refused).rejects.toThrow(/standalone server: the ledger needs a replica set/);
  });

  it('connects to a replica-set member', async () => {
    const standIn = await startStandIn('replica-set');
    started.push(standIn.process);
    const connection = await connectMongo(standIn.url);
    expect(connection.db.databaseName).toBe('ledger');
    await connection.close();
  });

  it('stops the ledger from starting with LEDGER_READ_MODELS=mongodb on a standalone server', async () => {
    const standIn = await startStandIn('standalone');
    started.push(standIn.process);
    const config = loadConfig({ LEDGER_READ_MODELS: 'mongodb', MONGODB_URL: standIn.url });
    await expect(buildLedger(config, { inMemory: true, runJobs: false })).rejects.toThrow(/needs a replica set/);
  });
});
