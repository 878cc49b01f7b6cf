import { describe, expect, it } from 'vitest';
import { readBodyLimited } from './read-body.js';

/** A request whose body arrives in `chunks` pieces of `size` bytes, with no Content-Length. */
function chunked(
  chunks: number,
  size: number,
  headers: Record<string, string> = {},
): { request: Request; pulled: () => number } {
  let pulled = 0;
  const body = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (pulled === chunks) return controller.close();
        pulled++;
        controller.enqueue(new Uint8Array(size).fill(0x61));
      },
    },
    { highWaterMark: 0 },
  );
  const request = new Request('http://x/', { method: 'POST', body, headers, duplex: 'half' } as RequestInit);
  return { request, pulled: () => pulled };
}

describe('readBodyLimited', () => {
  it('joins the chunks of a body within the limit', async () => {
    const { request } = chunked(4, 10);
    expect((await readBodyLimited(request, 40)).byteLength).toBe(40);
  });

  it('stops reading a chunked body as soon as it passes the limit', async () => {
    const { request, pulled } = chunked(1000, 1024);
    await expect(readBodyLimited(request, 4096)).rejects.toMatchObject({ code: 'ISOTYP_PAYLOAD_TOO_LARGE' });
    expect(pulled()).toBeLessThan(10);
  });

  it('refuses a declared Content-Length over the limit before reading', async () => {
    const { request, pulled } = chunked(1, 10, { 'content-length': '5000' });
    await expect(readBodyLimited(request, 4096)).rejects.toMatchObject({ code: 'ISOTYP_PAYLOAD_TOO_LARGE' });
    expect(pulled()).toBe(0);
  });

  it('reads an absent body as empty', async () => {
    expect((await readBodyLimited(new Request('http://x/'), 10)).byteLength).toBe(0);
  });

  it('turns a body that breaks off (client hung up) into a 400, not a 500', async () => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array([0x7b]));
        controller.error(new Error('aborted'));
      },
    });
    const request = new Request('http://x/', { method: 'POST', body, duplex: 'half' } as RequestInit);
    await expect(readBodyLimited(request, 100)).rejects.toMatchObject({ code: 'ISOTYP_MALFORMED_JSON' });
  });
});
