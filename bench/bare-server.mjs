// The bench's baseline: a bare fastify JSON route in a process of its own, as the ledger runs in
// `ledger serve`, so both are measured from the same load generator across the same loopback.
// Plain JS run by node itself: no tsx, no logger, nothing but the route.
import Fastify from 'fastify';

const port = Number(process.env.PORT);
if (!Number.isInteger(port) || port <= 0) throw new Error(`PORT must be a port number, got ${process.env.PORT}`);

const app = Fastify({ logger: false });
app.get('/bare', async () => ({ status: 'ok' }));
await app.listen({ host: '127.0.0.1', port });

const shutdown = () => void app.close().then(() => process.exit(0), () => process.exit(1));
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
