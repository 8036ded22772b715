#!/usr/bin/env node
// `npm run build [-- --outDir <dir>]`: compiles the ledger's sources to JavaScript (tsconfig.build.json;
// imports of .ts files become .js) and puts beside them what they load at run time that is not
// TypeScript, so `node <outDir>/src/cli/ledger.js serve` runs with plain node, without tsx.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const at = args.indexOf('--outDir');
if (at >= 0 && !args[at + 1]) throw new Error('usage: npm run build [-- --outDir <dir>]');
const outDir = at >= 0 ? resolve(args[at + 1]) : join(ROOT, 'dist');

// A build starts clean, so nothing of a deleted source ships; only the default dist/ is removed, never a directory named by the caller.
if (at < 0) rmSync(outDir, { recursive: true, force: true });

// The typescript package exports only its API, not its bin: find the bin through its package.json.
const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
execFileSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', outDir], { stdio: 'inherit' });

// The CLI reaches bench/ (and through it test/support/) by a dynamic import that the compiler follows;
// both belong to the development install, so the build ships neither (`ledger bench` then says so).
for (const dev of ['bench', 'test']) rmSync(join(outDir, dev), { recursive: true, force: true });

// Loaded at run time by path, next to the module that loads it.
const RUNTIME_FILES = [
  'src/http/assets', // the pages' scripts and stylesheet (src/http/routes/public/assets.ts)
  'src/composition/projection-thread-boot.mjs', // the projection thread's entry (src/composition/projections.ts)
];
for (const file of RUNTIME_FILES) {
  if (!existsSync(join(ROOT, file))) throw new Error(`${file} is missing: the build copies it beside the compiled code`);
  cpSync(join(ROOT, file), join(outDir, file), { recursive: true });
}

// The compiled files are ES modules; an outDir outside the project has no package.json above it to say so.
writeFileSync(join(outDir, 'package.json'), `${JSON.stringify({ type: 'module', private: true }, null, 2)}\n`);
process.stdout.write(`built ${outDir}\n`);
