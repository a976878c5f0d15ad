import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Whoami } from '../../api/wire.js';
import { HubClient } from '../../core/hub-client.js';
import { writeLogin } from '../hub.js';
import { UsageError } from '../output.js';

const USAGE = `usage: gitfleet login --hub URL [--token TOKEN | $GITFLEET_TOKEN] [--hub-ca FILE]
  checks the token against the hub, then remembers both for every later command`;

/** `gitfleet login`: verifies a token with the hub and stores it (owner-only file). */
export async function loginCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { hub: { type: 'string' }, token: { type: 'string' }, 'hub-ca': { type: 'string' } },
  });
  const token = values.token ?? process.env.GITFLEET_TOKEN;
  if (!values.hub || !token) throw new UsageError(USAGE);
  const ca = values['hub-ca'] ? readFileSync(values['hub-ca'], 'utf8') : undefined;
  const hub = new HubClient({ url: values.hub, token, ...(ca ? { ca } : {}) });
  try {
    const me = await hub.request<Whoami>('GET', '/api/v1/whoami');
    const path = writeLogin({ hub: values.hub, token, ...(ca ? { ca } : {}) });
    console.log(
      `logged in to ${values.hub} as ${me.name}${me.groups.length ? ` (${me.groups.join(', ')})` : ''}; saved in ${path}`,
    );
    return 0;
  } finally {
    hub.close();
  }
}
