// The bench's reference routes, in a process of their own as the ledger runs in `ledger serve`, so
// both are measured from the same load generator across the same loopback:
//   GET  /bare             a bare fastify JSON route: the ceiling every row is divided by;
//   POST /reference/json   a JSON body checked against a schema, nothing else: the floor of any POST;
//   POST /reference/durable the same plus one insert, group-committed and fsynced as the ledger's
//                          appends are: the floor of any write that is durable before it answers.
// No logger: these are ceilings, not services.
import Fastify from 'fastify';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { openSqlite } from '../src/adapters/sqlite/database.ts';
import { GroupCommit } from '../src/adapters/sqlite/group-commit.ts';

const port = Number(process.env.PORT);
if (!Number.isInteger(port) || port <= 0) throw new Error(`PORT must be a port number, got ${process.env.PORT}`);

const dir = mkdtempSync(join(tmpdir(), 'ledger-bench-reference-'));
const db = openSqlite(join(dir, 'reference.sqlite'));
db.exec('CREATE TABLE writes (id TEXT PRIMARY KEY, body TEXT NOT NULL) WITHOUT ROWID');
const insert = db.prepare<[string, string]>('INSERT INTO writes (id, body) VALUES (?, ?)');
const writes = new GroupCommit(db, ({ id, body }: { id: string; body: string }) => insert.run(id, body).changes);

/** The shape of a register-act body, checked the way fastify checks the ledger's. */
const body = {
  type: 'object',
  required: ['sepp', 'documentHash', 'name'],
  properties: {
    sepp: { type: 'string', minLength: 1, maxLength: 200 },
    documentHash: { type: 'string', pattern: '^[0-9a-f]{64}$' },
    name: { type: 'string', minLength: 1, maxLength: 100 },
    description: { type: 'string', maxLength: 300 },
  },
  additionalProperties: false,
} as const;

const app = Fastify({ logger: false });
app.get('/bare', async () => ({ status: 'ok' }));
app.post('/reference/json', { schema: { body } }, async (_request, reply) => {
  reply.code(201);
  return { id: randomUUID() };
});
app.post('/reference/durable', { schema: { body } }, async (request, reply) => {
  const id = randomUUID();
  await writes.submit({ id, body: JSON.stringify(request.body) });
  reply.code(201);
  return { id };
});
await app.listen({ host: '127.0.0.1', port });

const shutdown = () =>
  void app.close().then(
    () => {
      writes.flush();
      db.close();
      rmSync(dir, { recursive: true, force: true });
      process.exit(0);
    },
    () => process.exit(1),
  );
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
