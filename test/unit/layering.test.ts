import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The house's rules: who may import whom. A file's layer is the first rule whose folder holds it. */
export const LAYER_RULES: Array<{ layer: string; folder: string; mayNotImport: string[] }> = [
  // The core: rules and events, pure. Nothing of the shell, in any direction.
  { layer: 'core', folder: 'commands', mayNotImport: ['src', 'bench', 'test'] },
  { layer: 'core', folder: 'events', mayNotImport: ['src', 'bench', 'test', 'commands', 'projections'] },
  { layer: 'core', folder: 'projections', mayNotImport: ['src', 'bench', 'test'] },
  // The transparency-log formats: pure, below everything that uses them.
  { layer: 'core', folder: 'tlog', mayNotImport: ['src', 'bench', 'test', 'commands', 'events', 'projections'] },
  // Ports are interfaces the core needs; adapters implement them without knowing the use cases or the edge.
  { layer: 'ports', folder: 'src/ports', mayNotImport: ['src/adapters', 'src/app', 'src/http', 'src/composition', 'src/cli', 'bench', 'test'] },
  { layer: 'adapters', folder: 'src/adapters', mayNotImport: ['src/app', 'src/http', 'src/composition', 'src/cli', 'bench', 'test'] },
  // Use cases know ports, never the HTTP edge or which adapter is wired in.
  { layer: 'app', folder: 'src/app', mayNotImport: ['src/http', 'src/adapters', 'src/composition', 'src/cli', 'bench', 'test'] },
  // Types of the ports (an error class, callback parameters) are the edge's to name; instances come from services.
  { layer: 'http', folder: 'src/http', mayNotImport: ['src/adapters', 'src/composition', 'src/cli', 'bench', 'test'] },
  { layer: 'composition', folder: 'src/composition', mayNotImport: ['src/cli', 'bench', 'test'] },
  // The production CLI runs from an install without devDependencies: the bench is reached only by a
  // dynamic import that fails with a clear message there.
  { layer: 'cli', folder: 'src/cli', mayNotImport: ['test'] },
];

const IMPORT = /(?:^|[\s;])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;(])import\s*\(\s*['"]([^'"]+)['"]\s*\)|(?:^|[\s;])import\s*['"]([^'"]+)['"]/gm;

/** Relative import specifiers of a source text (static, re-exports, dynamic, side-effect). */
export function importsOf(source: string): string[] {
  const found: string[] = [];
  for (const m of source.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (spec?.startsWith('.')) found.push(spec);
  }
  return found;
}

export interface Violation {
  file: string;
  imports: string;
  rule: string;
}

/** Every import that crosses a rule, for files given as (path from the root, source). */
export function violations(files: Array<{ path: string; source: string }>): Violation[] {
  const out: Violation[] = [];
  for (const { path, source } of files) {
    const rule = LAYER_RULES.find((r) => path === r.folder || path.startsWith(`${r.folder}/`));
    if (!rule) continue;
    for (const spec of importsOf(source)) {
      const target = relative(ROOT, resolve(ROOT, dirname(path), spec)).split('\\').join('/');
      const banned = rule.mayNotImport.find((f) => target === f || target.startsWith(`${f}/`));
      if (banned) out.push({ file: path, imports: target, rule: `${rule.folder} may not import ${banned}` });
    }
  }
  return out;
}

function sources(folder: string): Array<{ path: string; source: string }> {
  const out: Array<{ path: string; source: string }> = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (/\.(ts|mts|mjs|js)$/.test(name)) out.push({ path: relative(ROOT, full).split('\\').join('/'), source: readFileSync(full, 'utf8') });
    }
  };
  walk(join(ROOT, folder));
  return out;
}

describe('layering: the core has no arrow into the shell, and no arrow runs back up', () => {
  it('holds for every source file', () => {
    const files = ['commands', 'events', 'projections', 'tlog', 'src'].flatMap(sources);
    expect(files.length).toBeGreaterThan(50);
    expect(violations(files)).toEqual([]);
  });

  it('catches a wrong import of each kind (the check can fail)', () => {
    const wrong = [
      { path: 'commands/act.ts', source: "import { x } from '../src/app/acts/act-service.ts';" },
      { path: 'events/act.ts', source: "import type { y } from '../src/ports/event-store.ts';" },
      { path: 'projections/cul.ts', source: "export { z } from '../src/http/app.ts';" },
      { path: 'tlog/merkle.ts', source: "import { y } from '../events/envelope.ts';" },
      { path: 'src/adapters/sqlite/key-vault.ts', source: "const m = await import('../../app/acts/act-service.ts');" },
      { path: 'src/app/acts/act-service.ts', source: "import '../../http/app.ts';" },
      { path: 'src/app/acts/act-service.ts', source: "import { SqliteEventStore } from '../../adapters/sqlite/event-store.ts';" },
      { path: 'src/http/app.ts', source: "import { buildLedger } from '../composition/ledger.ts';" },
    ];
    expect(violations(wrong).map((v) => v.file)).toEqual(wrong.map((w) => w.path));
    // Same-layer and downward imports pass.
    expect(violations([{ path: 'src/app/acts/act-service.ts', source: "import { actDecider } from '../../../commands/act.ts';\nimport type { EventStore } from '../../ports/event-store.ts';" }])).toEqual([]);
  });
});
