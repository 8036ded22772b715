import pino, { type Logger } from 'pino';

const CENSOR = '[redacted]';

/** Header values that never reach a log line, wherever headers are logged (`req.headers.x`, `res.headers.x`). */
const secretHeaders = ['authorization', 'cookie', 'set-cookie'] as const;

/**
 * Keys blanked in every object logged one level down (`{ body: { sepp } }`, `{ err: { token } }`).
 * Tokens, assertions, cookies, codes and their hashes must never reach a log; personal fields
 * (SePP, document hash, act text) stay out too.
 */
export const redactedKeys = [
  'authorization',
  'client_assertion',
  'access_token',
  'token',
  'code',
  'codeSha256',
  'codeSha512',
  'sepp',
  'documentHash',
  'name',
  'description',
  'altcha',
  'secret',
  'password',
] as const;

const redacted = new Set<string>(redactedKeys);
const headerKeys = new Set<string>(secretHeaders);

type Entry = Record<string, unknown>;

const isObject = (value: unknown): value is Entry => typeof value === 'object' && value !== null && !Array.isArray(value);

/** `value` with the listed keys censored; the same object when none is present (nothing is copied then). */
function censored(value: Entry, keys: ReadonlySet<string>): Entry {
  let copy: Entry | undefined;
  for (const key of Object.keys(value)) {
    if (!keys.has(key) || value[key] === undefined) continue;
    copy ??= copyOf(value);
    copy[key] = CENSOR;
  }
  return copy ?? value;
}

/** A shallow copy that keeps an error's class, message and stack for pino's error serializer. */
function copyOf(value: Entry): Entry {
  if (!(value instanceof Error)) return { ...value };
  const copy = Object.assign(Object.create(Object.getPrototypeOf(value) as object) as Error, value);
  copy.message = value.message;
  if (value.stack !== undefined) copy.stack = value.stack;
  return copy as unknown as Entry;
}

/**
 * Blanks secrets in a log entry before pino writes it: every object one level down loses the
 * `redactedKeys`, and `req.headers` / `res.headers` lose the secret headers. It runs as pino's
 * `formatters.log` rather than through pino's `redact` option: wildcard paths there put a redaction
 * pass on every value of every line (about 23 µs a line here), while this checks a few keys and
 * copies only what it changes; the caller's objects are never modified.
 */
export function censorSecrets(entry: Entry): Entry {
  let out = entry;
  for (const key of Object.keys(entry)) {
    const value = entry[key];
    if (!isObject(value)) continue;
    let next = censored(value, redacted);
    if ((key === 'req' || key === 'res') && isObject(next.headers)) {
      const headers = censored(next.headers, headerKeys);
      if (headers !== next.headers) {
        if (next === value) next = copyOf(value);
        next.headers = headers;
      }
    }
    if (next === value) continue;
    if (out === entry) out = { ...entry };
    out[key] = next;
  }
  return out;
}

/**
 * The ledger's logger: stdout, written asynchronously. Not buffered further: whoever is on call
 * must see a line when it happens, not when 4 KiB have gathered.
 */
export function createLogger(level: string, destination: pino.DestinationStream = pino.destination({ dest: 1, sync: false })): Logger {
  return pino(
    {
      level,
      formatters: { log: censorSecrets },
      base: { service: 'act-ledger' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
