import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { importJWK, SignJWT, type JWK } from 'jose';
import { CLIENT_ASSERTION_TYPE } from '../app/providers/client-assertions.ts';
import { TOKEN_PATH } from '../paths.ts';
import { CliError } from './cli-error.ts';

const USAGE = 'usage: ledger admin token --admin <adminId> --key <private JWK file> [--url <ledger public URL, default LEDGER_PUBLIC_URL>]';
/** Assertions live a minute: long enough to reach the ledger, short enough that a copied one is soon worthless. */
const ASSERTION_LIFETIME_S = 60;

/**
 * `ledger admin token`: proves a named admin with its private key (an RFC 7523 client assertion,
 * iss = sub = adminId, aud = the ledger's token URL) and prints the admin access token it gets, and
 * nothing else, so scripts can take it from stdout. `publicUrl` is asked for only without --url.
 */
export async function admin(args: string[], publicUrl: () => string): Promise<void> {
  const [sub, ...rest] = args;
  if (sub !== 'token') throw new CliError(USAGE);
  const options = parseArgs(rest);
  const base = (options.url ?? publicUrl()).replace(/\/+$/, '');
  const key = await privateKeyFrom(options.key);
  const tokenUrl = `${base}${TOKEN_PATH}`;
  const now = Math.floor(Date.now() / 1000);
  const assertion = await new SignJWT({})
    .setProtectedHeader({ alg: key.alg, ...(key.kid ? { kid: key.kid } : {}) })
    .setIssuer(options.admin)
    .setSubject(options.admin)
    .setAudience(tokenUrl)
    .setJti(randomUUID())
    .setIssuedAt(now)
    .setExpirationTime(now + ASSERTION_LIFETIME_S)
    .sign(key.key);
  let res: Response;
  try {
    res = await fetch(tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: assertion }),
    });
  } catch (error) {
    throw new CliError(`the ledger at ${base} does not answer: ${(error as Error).message}`);
  }
  const body = (await res.json().catch(() => ({}))) as { access_token?: string; detail?: string; reason?: string };
  if (res.status !== 200 || typeof body.access_token !== 'string') {
    throw new CliError(`the ledger refused the admin token (${res.status}${body.reason ? `, ${body.reason}` : ''}): ${body.detail ?? 'no detail'}`);
  }
  process.stdout.write(`${body.access_token}\n`);
}

async function privateKeyFrom(file: string): Promise<{ key: Awaited<ReturnType<typeof importJWK>>; alg: 'ES256' | 'EdDSA'; kid?: string }> {
  let jwk: JWK;
  try {
    jwk = JSON.parse(await readFile(file, 'utf8')) as JWK;
  } catch (error) {
    throw new CliError(`cannot read a JWK from ${file}: ${(error as Error).message}`);
  }
  const alg = jwk.kty === 'EC' && jwk.crv === 'P-256' ? 'ES256' : jwk.kty === 'OKP' && jwk.crv === 'Ed25519' ? 'EdDSA' : undefined;
  if (!alg) throw new CliError(`${file}: the key must be EC P-256 (ES256) or OKP Ed25519 (EdDSA)`);
  if (typeof jwk.d !== 'string') throw new CliError(`${file}: this is a public key; the private JWK (with "d") signs the assertion`);
  try {
    return { key: await importJWK(jwk, alg), alg, ...(typeof jwk.kid === 'string' ? { kid: jwk.kid } : {}) };
  } catch {
    // The key's members are not echoed: they are the private key.
    throw new CliError(`${file}: not a valid ${alg} private key`);
  }
}

function parseArgs(args: string[]): { admin: string; key: string; url?: string } {
  const values: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [name, inline] = arg.split(/=(.*)/s, 2) as [string, string | undefined];
    if (!['--admin', '--key', '--url'].includes(name)) throw new CliError(`bad argument: ${arg}\n${USAGE}`);
    const value = inline ?? args[++i];
    if (!value) throw new CliError(`${name} needs a value\n${USAGE}`);
    values[name.slice(2)] = value;
  }
  if (!values.admin || !values.key) throw new CliError(`--admin and --key are required\n${USAGE}`);
  if (values.url) {
    try {
      new URL(values.url);
    } catch {
      throw new CliError(`--url is not a URL: ${values.url}`);
    }
  }
  return { admin: values.admin, key: values.key, ...(values.url ? { url: values.url } : {}) };
}
