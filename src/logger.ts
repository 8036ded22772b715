import pino, { type Logger } from 'pino';

/**
 * Paths pino blanks in every log line. Tokens, assertions, cookies, codes and their hashes must
 * never reach a log; personal fields (SePP, document hash, act text) stay out too.
 */
export const redactedPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.authorization',
  '*.client_assertion',
  '*.access_token',
  '*.token',
  '*.code',
  '*.codeSha256',
  '*.codeSha512',
  '*.sepp',
  '*.documentHash',
  '*.name',
  '*.description',
  '*.altcha',
  '*.secret',
  '*.password',
];

/**
 * The ledger's logger: stdout, written asynchronously. Not buffered further: whoever is on call
 * must see a line when it happens, not when 4 KiB have gathered.
 */
export function createLogger(level: string, destination: pino.DestinationStream = pino.destination({ dest: 1, sync: false })): Logger {
  return pino(
    {
      level,
      redact: { paths: redactedPaths, censor: '[redacted]' },
      base: { service: 'act-ledger' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
