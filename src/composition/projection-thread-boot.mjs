// Entry of the projection thread. A worker starts without the parent's TypeScript loader: run from
// the sources, it registers tsx before loading the TypeScript module that does the work; run from
// the build (`npm run build` copies this file beside the compiled root), it loads the JavaScript.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const compiled = new URL('./projection-thread-root.js', import.meta.url);
if (existsSync(fileURLToPath(compiled))) {
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./projection-thread-root.ts');
}
