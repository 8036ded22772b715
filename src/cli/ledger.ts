#!/usr/bin/env node
// The `ledger` command as the build runs it: `node dist/src/cli/ledger.js <command>`, plain node, no
// tsx (bin/ledger.mjs runs the same main from the sources, for development).
import { main } from './main.ts';

await main(process.argv.slice(2));
