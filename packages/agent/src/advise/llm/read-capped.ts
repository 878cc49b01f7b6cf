import { IsotypError } from '@isotyp/protocol';

/**
 * Reads a response body as UTF-8, refusing it as soon as it passes `maxBytes` — by its
 * Content-Length when it declares one, else while it streams — so a runaway server cannot
 * fill the agent's memory.
 */
export async function readCapped(response: Response, maxBytes: number, where: string): Promise<string> {
  const tooLarge = () =>
    new IsotypError('ISOTYP_PAYLOAD_TOO_LARGE', `The answer of the LLM at ${where} is larger than ${maxBytes} bytes.`, {
      hint: 'Lower maxSuggestions, or check that the LLM URL points at a chat-completions API.',
      details: { maxBytes },
    });
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new IsotypError('ISOTYP_MALFORMED_JSON', `The answer of the LLM at ${where} is not valid UTF-8.`, {
      hint: 'Check that the LLM URL points at an OpenAI-compatible API.',
    });
  }
}
