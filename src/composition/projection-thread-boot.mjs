// Entry of the projection thread: a worker starts without the parent's TypeScript loader, so it
// registers tsx before loading the TypeScript module that does the work.
import { register } from 'tsx/esm/api';

register();
await import('./projection-thread-root.ts');
