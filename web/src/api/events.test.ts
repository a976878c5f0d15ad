import { describe, expect, it } from 'vitest';
import { readEvents } from './events';
import type { ApplicationSummary } from './types';

function stream(chunks: string[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return new ReadableStream({
    start(c) {
      for (const ch of chunks) c.enqueue(enc.encode(ch));
      c.close();
    },
  });
}

describe('server-sent event reader', () => {
  it('joins events split across chunks and skips pings and other events', async () => {
    const a = { namespace: 'ns', name: 'web', sync: 'Synced' };
    const text = `event: ping\ndata: \n\nevent: application\ndata: ${JSON.stringify(a)}\n\nevent: application-deleted\ndata: ${JSON.stringify({ ...a, name: 'old' })}\n\n`;
    // Cut in awkward places: inside a field name, inside the JSON, between the two newlines.
    const chunks = [text.slice(0, 9), text.slice(9, 40), text.slice(40, 71), text.slice(71)];
    const seen: [string, boolean][] = [];
    await readEvents(stream(chunks), {
      onApplication: (s: ApplicationSummary, deleted: boolean) => seen.push([s.name, deleted]),
    });
    expect(seen).toEqual([
      ['web', false],
      ['old', true],
    ]);
  });

  it('ignores a malformed event and keeps reading', async () => {
    const seen: string[] = [];
    await readEvents(
      stream(['event: application\ndata: {not json\n\n', 'event: application\ndata: {"name":"ok"}\n\n']),
      {
        onApplication: (s) => seen.push(s.name),
      },
    );
    expect(seen).toEqual(['ok']);
  });
});
