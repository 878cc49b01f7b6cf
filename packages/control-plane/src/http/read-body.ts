import { IsotypError } from '@isotyp/protocol';

/**
 * Reads a request body into memory, refusing it with ISOTYP_PAYLOAD_TOO_LARGE as soon as more
 * than `limit` bytes have arrived. A declared Content-Length over the limit is refused before a
 * byte is read; a chunked body (or one whose length the adapter does not enforce) is counted as
 * it streams, so memory never exceeds the limit plus one chunk.
 */
export async function readBodyLimited(request: Request, limit: number): Promise<Uint8Array> {
  assertDeclaredLength(request, limit);
  const body = request.body;
  if (body === null) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await read(reader);
      if (done) break;
      size += value.byteLength;
      if (size > limit) throw tooLarge(limit);
      chunks.push(value);
    }
  } finally {
    // Leave the rest unread: the Node adapter drains (or, past its own cap, closes) the
    // connection after the answer is written, so the client still gets the 413.
    reader.releaseLock();
  }
  if (chunks.length === 1 && chunks[0]) return chunks[0];
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/** A body stream that fails (the client hung up mid-upload) is the client's fault, not a 500. */
async function read(reader: ReadableStreamDefaultReader<Uint8Array>) {
  try {
    return await reader.read();
  } catch (error) {
    throw new IsotypError('ISOTYP_MALFORMED_JSON', 'The request body ended before it was complete.', {
      hint: 'Send the whole body; the connection closed in the middle of it.',
      cause: error,
    });
  }
}

/** Throws when the request declares a Content-Length above `limit`. */
export function assertDeclaredLength(request: Request, limit: number): void {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > limit) throw tooLarge(limit);
}

function tooLarge(limit: number): IsotypError {
  return new IsotypError('ISOTYP_PAYLOAD_TOO_LARGE', `The request body is larger than ${limit} bytes.`, {
    hint: 'Send a smaller document; the limit is the control plane setting bodyLimitBytes.',
    details: { limitBytes: limit },
  });
}
