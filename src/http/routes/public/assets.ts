import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { routeGroup } from '../../route-group.ts';
import { sendProblem } from '../../problems.ts';

const OWN = fileURLToPath(new URL('../../assets', import.meta.url));
const OWN_FILES = ['ledger.css', 'verify.js', 'verify-receipt.js', 'captcha.js', 'file-hash.js', 'prague-time.js', 'admin.js', 'favicon.svg'];
/** The incremental SHA-256 the browser hashes files with: @noble/hashes, served as the ES modules it ships. */
const NOBLE = dirname(createRequire(import.meta.url).resolve('@noble/hashes/sha2.js'));
const NOBLE_FILES = ['sha2.js', '_md.js', '_u64.js', 'utils.js'];
/**
 * The ALTCHA widget, self-hosted as it ships: its CSP build (`dist/external`: stylesheet and workers
 * as files of their own, nothing inline), its SHA worker, and the Czech and English texts.
 */
const ALTCHA = join(dirname(createRequire(import.meta.url).resolve('altcha/external')), '..');
const ALTCHA_FILES: Array<[string, string]> = [
  ['altcha.js', 'external/altcha.min.js'],
  ['altcha.css', 'external/altcha.css'],
  ['sha-worker.js', 'workers/sha.js'],
  ['i18n/cs.js', 'i18n/cs.js'],
  ['i18n/en.js', 'i18n/en.js'],
];

const TYPES: Record<string, string> = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8', svg: 'image/svg+xml' };

interface Asset {
  body: Buffer;
  type: string;
}

/** `/assets/*`: the pages' scripts and stylesheet, read once at start and served from memory. */
export const assetRoutes = routeGroup([], async (app) => {
  const assets = new Map<string, Asset>();
  const add = (path: string, file: string) => assets.set(path, { body: readFileSync(file), type: TYPES[file.split('.').pop()!]! });
  for (const name of OWN_FILES) add(`/assets/${name}`, join(OWN, name));
  for (const name of NOBLE_FILES) add(`/assets/noble/${name}`, join(NOBLE, name));
  for (const [name, file] of ALTCHA_FILES) add(`/assets/altcha/${name}`, join(ALTCHA, file));

  app.get('/assets/*', { schema: { hide: true } }, async (request, reply) => {
    const asset = assets.get(request.url.split('?')[0]!);
    if (!asset) return sendProblem(reply, 'not-found', 'no such asset');
    // Short: a deploy with new scripts reaches browsers within minutes, without versioned names.
    return reply.header('cache-control', 'public, max-age=300').type(asset.type).send(asset.body);
  });
});
