import { writeFileSync, mkdirSync } from 'node:fs';
import { loadConfig } from '../config.ts';
import { buildLedger } from '../composition/ledger.ts';
import { createLogger } from '../logger.ts';

/** The OpenAPI document as the route schemas describe it, with stable formatting. */
export async function generateOpenApi(): Promise<string> {
  const ledger = await buildLedger(loadConfig({ LEDGER_ADMIN_TOKEN: 'openapi' }), { inMemory: true, logger: createLogger('silent') });
  try {
    await ledger.app.ready();
    return `${JSON.stringify(ledger.app.swagger(), null, 2)}\n`;
  } finally {
    await ledger.close();
  }
}

export async function writeOpenApi(): Promise<void> {
  mkdirSync('openapi', { recursive: true });
  writeFileSync('openapi/openapi.json', await generateOpenApi());
  process.stdout.write('wrote openapi/openapi.json\n');
}
