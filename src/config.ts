import { resolve } from 'node:path';
import { parseDuration } from './duration.ts';
import { retentionBounds } from '../commands/retention.ts';

/**
 * Everything the ledger reads from its environment, validated once. Nothing else reads
 * process.env. Each variable and its default is listed in the README.
 */
export interface LedgerConfig {
  host: string;
  port: number;
  publicUrl: string;
  dataDir: string;
  /** simulator: test persons, simulated phone and identity node; integration / production: none of them. */
  environment: 'simulator' | 'integration' | 'production';
  adminToken?: string;
  /**
   * LEDGER_AUDITOR_TOKEN: the bearer credential of the audit API (at least 32 characters), accepted
   * there and nowhere else; unset: the audit routes answer that auditing is not configured.
   */
  auditorToken?: string;
  logLevel: string;
  /** LEDGER_EVENT_STORE: the embedded SQLite file, or EventStoreDB at EVENTSTORE_URL. */
  eventStore: { kind: 'sqlite' } | { kind: 'eventstoredb'; url: string };
  /** LEDGER_READ_MODELS: tables beside the events (embedded), or MongoDB at MONGODB_URL. */
  readModels: { kind: 'sqlite' } | { kind: 'mongodb'; url: string };
  /**
   * LEDGER_READ_MODEL_CACHE_MIB (embedded read models): SQLite's page cache, in MiB, of the connection
   * that answers queries. It fills only with pages read, so a small store never uses it all; on a store
   * of millions of acts the indexes a public lookup walks stay in memory instead of being read back
   * from the file on every request.
   */
  readModelCacheMiB: number;
  jobs: 'inprocess' | 'bullmq';
  redisUrl: string;
  /** Lifetime of an ActAs access token, ms (5 to 15 minutes). */
  accessTokenTtlMs: number;
  homeCountry: string;
  /** How long a pending act waits for authorization before it fails as expired. */
  actLifetimeMs: number;
  /** LoA required by default for authorization by authentication; undefined: none. */
  defaultLoa?: 'low' | 'substantial' | 'high';
  code: { length: number; ttlMs: number; attempts: number; sendsPerHour: number };
  /** Where citizens authenticate again: the simulated identity node (simulator environment only), or an OpenID Provider. */
  identityProvider:
    | { kind: 'simulator' }
    | {
        kind: 'oidc';
        issuer: string;
        clientId: string;
        clientSecret: string;
        /** The OpenID Provider's `acr` value for each LoA (sent as acr_values, read back from the ID token). */
        acrValues: Record<'low' | 'substantial' | 'high', string>;
      };
  /** How long a citizen has to authenticate once sent to the identity provider. */
  authenticationTimeoutMs: number;
  /**
   * How codes reach citizens, per channel: the simulator's in-memory outbox (simulator environment
   * only), an HTTPS SMS gateway (LEDGER_SMS=http, contract in the README), FCM HTTP v1 (LEDGER_MOBILE_KEY=fcm).
   * `attemptTimeoutMs`: how long one delivery attempt may take before it counts as a network error.
   */
  delivery: {
    sms: { kind: 'outbox' } | { kind: 'http'; url: string; token: string };
    mobileKey: { kind: 'outbox' } | { kind: 'fcm'; serviceAccountFile: string; apiUrl: string };
    attemptTimeoutMs: number;
  };
  /** LEDGER_PROJECTIONS: this process keeps the projections and runs the jobs (default on; `ledger worker` always on). */
  projections: boolean;
  /** Provider API requests one provider may make per minute (LEDGER_PROVIDER_RATE_LIMIT). */
  providerRateLimitPerMinute: number;
  /**
   * LEDGER_TLS_CERT and LEDGER_TLS_KEY (PEM files): the ledger serves HTTPS itself. With
   * LEDGER_TLS_CLIENT_CA too it asks for client certificates (mutual TLS): provider routes then need a
   * certificate issued under that CA and registered as the provider's transport certificate, and
   * ActAs tokens are bound to it (RFC 8705).
   */
  tls?: { certFile: string; keyFile: string; clientCaFile?: string };
  /** Overload: answer 503 with Retry-After past this event-loop delay (ms) or heap use (bytes; 0 = 90 % of the heap limit). */
  overload: { maxEventLoopDelayMs: number; maxHeapUsedBytes: number };
  /** Defaults until an admin changes them (the `retention` stream then rules); acts erased per batch. */
  retention: { failedAuthorizationRetentionMs: number; purgeEveryMs: number; purgeBatchSize: number };
  /** How often pending acts past their lifetime are failed as expired. */
  expirySweepEveryMs: number;
  /**
   * The log's checkpoints: `origin` is the first line of each and the name of the key that signs them
   * (LEDGER_LOG_ORIGIN, default `<host of LEDGER_PUBLIC_URL>/act-ledger`); a new one is signed every
   * `everyMs` when the log grew (LEDGER_CHECKPOINT_EVERY, default PT10S).
   */
  log: { origin: string; checkpointEveryMs: number };
  /** How long a four-eyes change waits for a second admin's confirmation (LEDGER_CHANGE_CONFIRMATION_TTL). */
  changeConfirmationTtlMs: number;
  /** Largest request body accepted, bytes (public uploads have their own cap). */
  bodyLimit: number;
  /**
   * How long a connection may stay silent (no byte in either direction), how long the headers may take
   * to arrive, and how long a whole request may take: a client that stops half-way is cut off.
   */
  httpTimeouts: { idleMs: number; headersMs: number; requestMs: number };
  uploadLimit: number;
  /** The public verification's captcha: how long a challenge stays valid, and its difficulty (ALTCHA maxnumber). */
  captcha: { ttlMs: number; maxNumber: number };
  /** How long a citizen stays signed in to the portal. */
  portalSessionTtlMs: number;
  /** Client IPs exempt from rate limits (a gateway that limits on its own, a load test on loopback). */
  rateLimitAllowList?: string[];
  /**
   * LEDGER_PREVIOUS_ENVIRONMENT_JWKS: where the previous environment's ledger publishes its keys
   * (its /.well-known/jwks.json, or a copy of it in a file), which verify the provider records it
   * exports. Integration and production only; unset: no import is possible.
   */
  previousEnvironmentJwks?: { kind: 'url'; url: string } | { kind: 'file'; path: string };
}

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): LedgerConfig {
  const host = env.HOST ?? '127.0.0.1';
  const port = int(env, 'PORT', 3000, 0, 65535);
  const environment = oneOf(env, 'LEDGER_ENVIRONMENT', ['simulator', 'integration', 'production'] as const, 'simulator');
  const accessTokenTtlMs = duration(env, 'LEDGER_ACCESS_TOKEN_TTL', 'PT10M');
  if (accessTokenTtlMs < 5 * 60_000 || accessTokenTtlMs > 15 * 60_000) {
    throw new Error('LEDGER_ACCESS_TOKEN_TTL must be between PT5M and PT15M');
  }
  // Served over the ledger's own TLS (LEDGER_TLS_CERT), the default public URL is https.
  const scheme = env.LEDGER_TLS_CERT ? 'https' : 'http';
  const publicUrl = (env.LEDGER_PUBLIC_URL ?? `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`).replace(/\/+$/, '');
  try {
    new URL(publicUrl);
  } catch {
    throw new Error(`LEDGER_PUBLIC_URL is not a URL: ${publicUrl}`);
  }
  // Outside the simulator nothing simulated runs, and nothing is left open: each refusal names the variable to set.
  if (environment !== 'simulator') {
    if (!env.LEDGER_ADMIN_TOKEN) throw new Error(`the ${environment} environment needs LEDGER_ADMIN_TOKEN (a random secret of at least 32 characters)`);
    if (env.LEDGER_ADMIN_TOKEN.length < 32) throw new Error('LEDGER_ADMIN_TOKEN must be at least 32 characters');
    if (environment === 'production' && new URL(publicUrl).protocol !== 'https:') {
      throw new Error(`the production environment needs LEDGER_PUBLIC_URL to be the https URL citizens and providers reach, got ${publicUrl}`);
    }
  }
  const auditorToken = env.LEDGER_AUDITOR_TOKEN || undefined;
  if (auditorToken !== undefined) {
    if (auditorToken.length < 32) throw new Error('LEDGER_AUDITOR_TOKEN must be at least 32 characters (a random secret: openssl rand -base64 32)');
    // One secret for two audiences would let an auditor act as the bootstrap admin.
    if (auditorToken === env.LEDGER_ADMIN_TOKEN) throw new Error('LEDGER_AUDITOR_TOKEN must differ from LEDGER_ADMIN_TOKEN');
  }
  const defaultLoa = env.LEDGER_DEFAULT_LOA
    ? oneOf(env, 'LEDGER_DEFAULT_LOA', ['low', 'substantial', 'high'] as const, 'low')
    : undefined;
  return {
    host,
    port,
    publicUrl,
    dataDir: resolve(env.LEDGER_DATA_DIR ?? './data'),
    environment,
    ...(env.LEDGER_ADMIN_TOKEN ? { adminToken: env.LEDGER_ADMIN_TOKEN } : {}),
    ...(auditorToken ? { auditorToken } : {}),
    logLevel: env.LOG_LEVEL ?? 'info',
    eventStore:
      oneOf(env, 'LEDGER_EVENT_STORE', ['sqlite', 'eventstoredb'] as const, 'sqlite') === 'sqlite'
        ? { kind: 'sqlite' }
        : { kind: 'eventstoredb', url: required(env, 'EVENTSTORE_URL', 'LEDGER_EVENT_STORE=eventstoredb', 'esdb://127.0.0.1:2113?tls=false') },
    readModels:
      oneOf(env, 'LEDGER_READ_MODELS', ['sqlite', 'mongodb'] as const, 'sqlite') === 'sqlite'
        ? { kind: 'sqlite' }
        : { kind: 'mongodb', url: required(env, 'MONGODB_URL', 'LEDGER_READ_MODELS=mongodb', 'mongodb://127.0.0.1:27017/ledger?replicaSet=rs0') },
    readModelCacheMiB: int(env, 'LEDGER_READ_MODEL_CACHE_MIB', 512, 2, 65_536),
    jobs: oneOf(env, 'LEDGER_JOBS', ['inprocess', 'bullmq'] as const, 'inprocess'),
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    accessTokenTtlMs,
    homeCountry: (env.LEDGER_HOME_COUNTRY ?? 'CZ').toUpperCase(),
    actLifetimeMs: duration(env, 'LEDGER_ACT_LIFETIME', 'PT24H'),
    ...(defaultLoa ? { defaultLoa } : {}),
    code: {
      length: int(env, 'LEDGER_CODE_LENGTH', 6, 6, 12),
      ttlMs: duration(env, 'LEDGER_CODE_TTL', 'PT5M'),
      attempts: int(env, 'LEDGER_CODE_ATTEMPTS', 5, 1, 10),
      sendsPerHour: int(env, 'LEDGER_CODE_SENDS_PER_HOUR', 5, 1, 100_000),
    },
    identityProvider: identityProvider(env, environment),
    authenticationTimeoutMs: duration(env, 'LEDGER_AUTHENTICATION_TIMEOUT', 'PT15M'),
    delivery: delivery(env, environment),
    projections: oneOf(env, 'LEDGER_PROJECTIONS', ['on', 'off'] as const, 'on') === 'on',
    providerRateLimitPerMinute: int(env, 'LEDGER_PROVIDER_RATE_LIMIT', 1200, 1, 1_000_000),
    overload: {
      maxEventLoopDelayMs: int(env, 'LEDGER_MAX_EVENT_LOOP_DELAY_MS', 1000, 0, 60_000),
      maxHeapUsedBytes: int(env, 'LEDGER_MAX_HEAP_USED_BYTES', 0, 0, Number.MAX_SAFE_INTEGER),
    },
    retention: {
      failedAuthorizationRetentionMs: bounded(env, 'LEDGER_FAILED_RETENTION', 'PT24H', retentionBounds.failedAuthorizationRetention),
      purgeEveryMs: bounded(env, 'LEDGER_PURGE_EVERY', 'PT5M', retentionBounds.purgeEvery),
      purgeBatchSize: int(env, 'LEDGER_PURGE_BATCH_SIZE', 1000, 1, 10_000),
    },
    expirySweepEveryMs: bounded(env, 'LEDGER_EXPIRY_SWEEP_EVERY', 'PT1M', { minMs: 1000, maxMs: 86_400_000, min: 'PT1S', max: 'P1D' }),
    log: {
      origin: logOrigin(env, publicUrl),
      checkpointEveryMs: bounded(env, 'LEDGER_CHECKPOINT_EVERY', 'PT10S', { minMs: 1000, maxMs: 86_400_000, min: 'PT1S', max: 'P1D' }),
    },
    changeConfirmationTtlMs: bounded(env, 'LEDGER_CHANGE_CONFIRMATION_TTL', 'PT24H', { minMs: 60_000, maxMs: 30 * 86_400_000, min: 'PT1M', max: 'P30D' }),
    bodyLimit: int(env, 'LEDGER_BODY_LIMIT', 64 * 1024, 1024, 10 * 1024 * 1024),
    httpTimeouts: {
      idleMs: bounded(env, 'LEDGER_HTTP_IDLE_TIMEOUT', 'PT10S', { minMs: 1000, maxMs: 600_000, min: 'PT1S', max: 'PT10M' }),
      headersMs: bounded(env, 'LEDGER_HTTP_HEADERS_TIMEOUT', 'PT10S', { minMs: 1000, maxMs: 600_000, min: 'PT1S', max: 'PT10M' }),
      requestMs: bounded(env, 'LEDGER_HTTP_REQUEST_TIMEOUT', 'PT5M', { minMs: 1000, maxMs: 3_600_000, min: 'PT1S', max: 'PT1H' }),
    },
    uploadLimit: int(env, 'LEDGER_UPLOAD_LIMIT', 50 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    captcha: { ttlMs: duration(env, 'LEDGER_CAPTCHA_TTL', 'PT10M'), maxNumber: int(env, 'LEDGER_CAPTCHA_MAX_NUMBER', 20_000, 1000, 10_000_000) },
    portalSessionTtlMs: duration(env, 'LEDGER_PORTAL_SESSION_TTL', 'PT15M'),
    ...tls(env),
    ...(env.LEDGER_RATE_LIMIT_ALLOW ? { rateLimitAllowList: env.LEDGER_RATE_LIMIT_ALLOW.split(',').map((ip) => ip.trim()).filter(Boolean) } : {}),
    ...previousEnvironmentJwks(env, environment),
  };
}

/**
 * LEDGER_LOG_ORIGIN: a C2SP checkpoint origin is one line, conventionally a schema-less URL, and is
 * also the signed-note key name, so it may hold no space and no `+`.
 */
function logOrigin(env: Env, publicUrl: string): string {
  const origin = env.LEDGER_LOG_ORIGIN ?? `${new URL(publicUrl).host}/act-ledger`;
  if (!/^[\x21-\x2a\x2c-\x7e]+$/.test(origin)) {
    throw new Error(`LEDGER_LOG_ORIGIN must be printable ASCII without spaces or '+' (it names the checkpoint key), such as ledger.example.gov/act-ledger; got ${JSON.stringify(origin)}`);
  }
  return origin;
}

/** LEDGER_TLS_*: certificate and key together or neither; a client CA only with them. Files are read when the server is built. */
function tls(env: Env): { tls?: LedgerConfig['tls'] } {
  const certFile = env.LEDGER_TLS_CERT;
  const keyFile = env.LEDGER_TLS_KEY;
  const clientCaFile = env.LEDGER_TLS_CLIENT_CA;
  if (!certFile && !keyFile) {
    if (clientCaFile) throw new Error('LEDGER_TLS_CLIENT_CA needs LEDGER_TLS_CERT and LEDGER_TLS_KEY: client certificates are asked for over the ledger\'s own TLS');
    return {};
  }
  if (!certFile || !keyFile) throw new Error('LEDGER_TLS_CERT and LEDGER_TLS_KEY go together: the server certificate and its private key (PEM files)');
  return { tls: { certFile: resolve(certFile), keyFile: resolve(keyFile), ...(clientCaFile ? { clientCaFile: resolve(clientCaFile) } : {}) } };
}

/**
 * LEDGER_PREVIOUS_ENVIRONMENT_JWKS: a URL (https; http only on loopback, since whoever answers it
 * decides which imports verify) or a file path. The simulator has no previous environment.
 */
function previousEnvironmentJwks(env: Env, environment: LedgerConfig['environment']): Pick<LedgerConfig, 'previousEnvironmentJwks'> {
  const raw = env.LEDGER_PREVIOUS_ENVIRONMENT_JWKS?.trim();
  if (!raw) return {};
  const name = 'LEDGER_PREVIOUS_ENVIRONMENT_JWKS';
  if (environment === 'simulator') throw new Error(`${name} is for the integration and production environments: the simulator has no previous environment`);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) {
    if (!/^https?:/i.test(raw)) throw new Error(`${name} must be an https URL or a file path, got ${raw}`);
    return { previousEnvironmentJwks: { kind: 'url', url: gatewayUrl(name, raw) } };
  }
  return { previousEnvironmentJwks: { kind: 'file', path: resolve(raw) } };
}

/** A variable another one makes necessary, e.g. EVENTSTORE_URL for LEDGER_EVENT_STORE=eventstoredb. */
function required(env: Env, name: string, because: string, example: string): string {
  const value = env[name];
  if (!value) throw new Error(`${because} needs ${name} (e.g. ${example})`);
  return value;
}

/** LEDGER_IDENTITY_PROVIDER: test persons answering as anyone are never allowed outside the simulator environment. */
function identityProvider(env: Env, environment: LedgerConfig['environment']): LedgerConfig['identityProvider'] {
  const kind = oneOf(env, 'LEDGER_IDENTITY_PROVIDER', ['simulator', 'oidc'] as const, environment === 'simulator' ? 'simulator' : 'oidc');
  if (kind === 'simulator') {
    if (environment !== 'simulator') throw new Error('LEDGER_IDENTITY_PROVIDER=simulator works only in the simulator environment; use oidc');
    return { kind };
  }
  if (!(env.OIDC_ISSUER && env.OIDC_CLIENT_ID && env.OIDC_CLIENT_SECRET)) {
    throw new Error('LEDGER_IDENTITY_PROVIDER=oidc needs OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET');
  }
  return { kind, issuer: env.OIDC_ISSUER, clientId: env.OIDC_CLIENT_ID, clientSecret: env.OIDC_CLIENT_SECRET, acrValues: acrValues(env) };
}

/**
 * LEDGER_SMS and LEDGER_MOBILE_KEY: the outbox is the simulator's phones, so outside the simulator each
 * channel must be real. Gateways are reached over https, except on loopback (an adapter beside the ledger).
 */
function delivery(env: Env, environment: LedgerConfig['environment']): LedgerConfig['delivery'] {
  const sms = oneOf(env, 'LEDGER_SMS', ['outbox', 'http'] as const, 'outbox');
  const mobileKey = oneOf(env, 'LEDGER_MOBILE_KEY', ['outbox', 'fcm'] as const, 'outbox');
  if (environment !== 'simulator') {
    if (sms === 'outbox') throw new Error(`the ${environment} environment sends real codes: set LEDGER_SMS=http (with SMS_HTTP_URL and SMS_HTTP_TOKEN)`);
    if (mobileKey === 'outbox') throw new Error(`the ${environment} environment sends real codes: set LEDGER_MOBILE_KEY=fcm (with FCM_SERVICE_ACCOUNT_FILE)`);
  }
  return {
    sms:
      sms === 'outbox'
        ? { kind: 'outbox' }
        : {
            kind: 'http',
            url: gatewayUrl('SMS_HTTP_URL', required(env, 'SMS_HTTP_URL', 'LEDGER_SMS=http', 'https://sms.example/v1/messages')),
            token: required(env, 'SMS_HTTP_TOKEN', 'LEDGER_SMS=http', 'the bearer token the gateway issued'),
          },
    mobileKey:
      mobileKey === 'outbox'
        ? { kind: 'outbox' }
        : {
            kind: 'fcm',
            serviceAccountFile: resolve(required(env, 'FCM_SERVICE_ACCOUNT_FILE', 'LEDGER_MOBILE_KEY=fcm', '/run/secrets/fcm-service-account.json')),
            apiUrl: gatewayUrl('FCM_API_URL', env.FCM_API_URL ?? 'https://fcm.googleapis.com').replace(/\/+$/, ''),
          },
    attemptTimeoutMs: bounded(env, 'LEDGER_DELIVERY_ATTEMPT_TIMEOUT', 'PT10S', { minMs: 100, maxMs: 120_000, min: 'PT0.1S', max: 'PT2M' }),
  };
}

/** An https URL, or http on a loopback host (an adapter running beside the ledger). */
export function gatewayUrl(name: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${name} is not a URL: ${value}`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) throw new Error(`${name} must be an https URL (http only on loopback), got ${value}`);
  return value;
}

export function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name} must be an integer from ${min} to ${max}, got ${raw}`);
  return n;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) throw new Error(`${name} must be one of ${allowed.join(', ')}, got ${raw}`);
  return raw as T;
}

/** OIDC_ACR_VALUES: `low=<acr>,substantial=<acr>,high=<acr>`; each missing level keeps the eIDAS LoA URI. */
function acrValues(env: Env): Extract<LedgerConfig['identityProvider'], { kind: 'oidc' }>['acrValues'] {
  const values = { low: 'http://eidas.europa.eu/LoA/low', substantial: 'http://eidas.europa.eu/LoA/substantial', high: 'http://eidas.europa.eu/LoA/high' };
  for (const pair of (env.OIDC_ACR_VALUES ?? '').split(',').filter((p) => p.trim())) {
    const at = pair.indexOf('=');
    const level = pair.slice(0, at).trim();
    const acr = pair.slice(at + 1).trim();
    if (at < 0 || !(level in values) || !acr) throw new Error(`OIDC_ACR_VALUES must be low=<acr>,substantial=<acr>,high=<acr>, got ${pair}`);
    values[level as keyof typeof values] = acr;
  }
  return values;
}

/** A duration within the bounds an admin is held to as well. */
function bounded(env: Env, name: string, fallback: string, bound: { minMs: number; maxMs: number; min: string; max: string }): number {
  const ms = duration(env, name, fallback);
  if (ms < bound.minMs || ms > bound.maxMs) throw new Error(`${name} must be from ${bound.min} to ${bound.max}, got ${env[name]}`);
  return ms;
}

function duration(env: Env, name: string, fallback: string): number {
  const raw = env[name] ?? fallback;
  try {
    return parseDuration(raw);
  } catch {
    throw new Error(`${name} must be an ISO 8601 duration such as PT24H, got ${raw}`);
  }
}
