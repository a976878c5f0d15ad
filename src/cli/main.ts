#!/usr/bin/env node
// The `gitfleet` command. Commands are registered in ./commands-table.ts; each command's module is
// imported only when that command runs, so the hub's controllers, the engine and the audit store are
// never loaded for `gitfleet app list`, which keeps a CLI call near Node's start-up time (bench/cli).
import { favourSmallHeap } from '../core/small-heap.js';
import { COMMANDS, HELP } from './commands-table.js';

class Usage extends Error {}

async function dispatch(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === 'help' || cmd === '--help' || cmd === '-h') {
    console.log(HELP);
    return 0;
  }
  const entry = COMMANDS.find((c) => c.name === cmd);
  if (!entry) throw new Usage(`unknown command "${cmd}"\n\n${HELP}`);
  // The long-running processes favour memory over speed, set before their modules load: loading
  // them would already grow V8's young generation for good (src/core/small-heap.ts).
  if (cmd === 'controller' || cmd === 'agent') favourSmallHeap();
  return entry.run(rest);
}

export async function main(argv: string[]): Promise<number> {
  return dispatch(argv);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  async (e: unknown) => {
    // The error classes are imported here, after the fact, so no command pays for them up front.
    const { UsageError } = await import('./output.js');
    if (e instanceof UsageError || e instanceof Usage) {
      console.error(e.message);
      process.exit(2);
    }
    console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
