// Copies the hub API's wire contract (src/api/wire.ts) to web/src/api/wire.ts: web/ never
// imports src/, so the UI reads the same types from a verbatim copy. src/api/wire.test.ts fails
// when the copy is stale. Run: npx tsx scripts/sync-wire.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { wireCopy, WIRE_COPY, WIRE_SOURCE } from '../src/api/wire-copy.js';

writeFileSync(WIRE_COPY, wireCopy(readFileSync(WIRE_SOURCE, 'utf8')));
console.log(`wrote ${WIRE_COPY}`);
