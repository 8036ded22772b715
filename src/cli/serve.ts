import type { LedgerConfig } from '../config.ts';
import { buildLedger } from '../composition/ledger.ts';

/** `ledger serve`: listens, prints where things are, and closes with grace on SIGINT/SIGTERM. */
export async function serve(config: LedgerConfig, _args: string[]): Promise<void> {
  const ledger = await buildLedger(config);
  const { app } = ledger;
  await app.listen({ host: config.host, port: config.port });
  const base = config.publicUrl;
  const lines = [
    `act ledger listening on ${base} (${config.environment} environment, event store: ${config.eventStore.kind}, data: ${config.dataDir})`,
    `  API docs      ${base}/docs`,
    `  verify page   ${base}/verify`,
  ];
  if (config.environment === 'simulator') lines.push(`  simulator     ${base}/simulator`);
  const { role } = ledger.services.projectionRole();
  lines.push(`  projections   ${role === 'off' ? 'off here (LEDGER_PROJECTIONS=off): a worker keeps them' : role === 'holder' ? 'kept by this process' : 'kept by another process; this one stands by'}`);
  if (ledger.generatedAdminToken) {
    lines.push(`  admin token   ${ledger.generatedAdminToken}   (generated for this run; set LEDGER_ADMIN_TOKEN to choose one)`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'closing');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    ledger.close().then(
      () => process.exit(0),
      (error: unknown) => {
        app.log.error({ err: error }, 'error while closing');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}
