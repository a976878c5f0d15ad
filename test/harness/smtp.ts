import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { startProcess, type ManagedProcess } from './process.js';
import { toolPath } from './tools.js';
import { FatalWaitError, waitFor } from './wait.js';

export interface ReceivedMail {
  id: string;
  messageId: string;
  from: string;
  to: string[];
  subject: string;
  text: string;
  headers: Record<string, string[]>;
}

/**
 * A real SMTP server (Mailpit, built by scripts/build-tools.sh) on loopback that requires STARTTLS
 * with the given certificate and authentication with `username`/`password`; its HTTP API reads
 * what arrived.
 */
export interface SmtpServer {
  host: string;
  port: number;
  username: string;
  password: string;
  process: ManagedProcess;
  messages(): Promise<ReceivedMail[]>;
  stop(): Promise<void>;
}

export async function startSmtpServer(
  dir: string,
  logDir: string,
  tls: { cert: string; key: string },
): Promise<SmtpServer> {
  const bin = toolPath('mailpit');
  mkdirSync(dir, { recursive: true });
  const username = 'notifier';
  const password = `pw-${process.pid}-${Date.now().toString(36)}`;
  const authFile = join(dir, 'smtp-users');
  writeFileSync(authFile, `${username}:${password}\n`, { mode: 0o600 });
  const [port, httpPort] = [await freePort(), await freePort()];
  const api = `http://127.0.0.1:${httpPort}`;
  const proc = startProcess({
    name: 'mailpit',
    command: bin,
    args: [
      `--smtp=127.0.0.1:${port}`,
      `--listen=127.0.0.1:${httpPort}`,
      `--database=${join(dir, 'mailpit.db')}`,
      `--smtp-tls-cert=${tls.cert}`,
      `--smtp-tls-key=${tls.key}`,
      '--smtp-require-starttls',
      `--smtp-auth-file=${authFile}`,
      '--smtp-disable-rdns',
      '--disable-version-check',
      '--quiet',
    ],
    logDir,
  });
  await waitFor(
    'mailpit /readyz',
    async () => {
      if (!proc.running) throw new FatalWaitError(`mailpit exited:\n${proc.tail()}`);
      return (await fetch(`${api}/readyz`)).ok;
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  );
  return {
    host: '127.0.0.1',
    port,
    username,
    password,
    process: proc,
    async messages() {
      const res = await fetch(`${api}/api/v1/messages?limit=500`);
      if (!res.ok) throw new Error(`mailpit GET /api/v1/messages: HTTP ${res.status}`);
      const list = (await res.json()) as { messages: { ID: string }[] };
      return Promise.all(
        list.messages.map(async ({ ID }) => {
          const m = (await (await fetch(`${api}/api/v1/message/${ID}`)).json()) as {
            ID: string;
            MessageID: string;
            From: { Address: string };
            To: { Address: string }[];
            Subject: string;
            Text: string;
          };
          const headers = (await (await fetch(`${api}/api/v1/message/${ID}/headers`)).json()) as Record<
            string,
            string[]
          >;
          return {
            id: m.ID,
            messageId: m.MessageID,
            from: m.From.Address,
            to: m.To.map((t) => t.Address),
            subject: m.Subject,
            text: m.Text,
            headers,
          };
        }),
      );
    },
    stop: () => proc.stop(),
  };
}
