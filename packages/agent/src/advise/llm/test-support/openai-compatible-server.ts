import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A loopback server that speaks the OpenAI chat-completions protocol (`POST /v1/chat/completions`),
 * standing in for the site's model server. It records every request it receives — so a test can
 * assert exactly what left the process — and answers what the test scripted.
 */
export interface RecordedChatRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body, or the raw text when it is not JSON. */
  body: unknown;
}

export type ScriptedAnswer = (
  | /** A chat completion whose message content is `content` (objects are sent as their JSON). */
  { type: 'completion'; content: string | object; finishReason?: string }
  /** An error answer in OpenAI's shape. */
  | { type: 'error'; status: number; message?: string }
  /** Any body, as is. */
  | { type: 'raw'; status?: number; text: string; contentType?: string }
  /** A body of `bytes` bytes, streamed in chunks; with `declareLength`, announced in Content-Length. */
  | { type: 'oversized'; bytes: number; declareLength?: boolean }
  | { type: 'redirect'; location: string }
) & {
  /** Answer after this long (for timeouts). */
  delayMs?: number;
};

export interface OpenAiCompatibleServer {
  /** The API's base URL, ending in `/v1`, as a site would configure it. */
  url: string;
  requests: RecordedChatRequest[];
  /** What every following request is answered with. */
  setAnswer(answer: ScriptedAnswer): void;
  close(): Promise<void>;
}

/**
 * @example
 * const server = await startOpenAiCompatibleServer();
 * server.setAnswer({ type: 'completion', content: { suggestions: [] } });
 */
export async function startOpenAiCompatibleServer(): Promise<OpenAiCompatibleServer> {
  const requests: RecordedChatRequest[] = [];
  let answer: ScriptedAnswer = { type: 'completion', content: { suggestions: [] } };
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // kept as text
    }
    const path = new URL(req.url ?? '/', 'http://loopback').pathname;
    requests.push({ method: req.method ?? 'GET', path, headers: req.headers, body });

    if (req.method !== 'POST' || path !== '/v1/chat/completions') {
      return sendJson(res, 404, openAiError(`Unknown request URL: ${req.method} ${path}`, 'invalid_request_error'));
    }
    const model = typeof body === 'object' && body !== null ? (body as { model?: unknown }).model : undefined;
    if (typeof model !== 'string') {
      return sendJson(res, 400, openAiError('you must provide a model parameter', 'invalid_request_error'));
    }
    const scripted = answer;
    if (scripted.delayMs !== undefined) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          timers.delete(timer);
          resolve();
        }, scripted.delayMs);
        timers.add(timer);
      });
      if (res.destroyed) return;
    }
    respond(res, scripted, model);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    setAnswer(next) {
      answer = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function respond(res: ServerResponse, answer: ScriptedAnswer, model: string): void {
  switch (answer.type) {
    case 'completion': {
      const content = typeof answer.content === 'string' ? answer.content : JSON.stringify(answer.content);
      sendJson(res, 200, {
        id: `chatcmpl-${randomBytes(6).toString('hex')}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model,
        choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: answer.finishReason ?? 'stop' }],
        usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
      });
      return;
    }
    case 'error':
      sendJson(res, answer.status, openAiError(answer.message ?? 'The server had an error', 'server_error'));
      return;
    case 'raw':
      res.writeHead(answer.status ?? 200, { 'content-type': answer.contentType ?? 'application/json' });
      res.end(answer.text);
      return;
    case 'oversized': {
      res.on('error', () => undefined); // the client hangs up part way, as it should
      res.writeHead(200, {
        'content-type': 'application/json',
        ...(answer.declareLength ? { 'content-length': String(answer.bytes) } : {}),
      });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let left = answer.bytes;
      const pump = (): void => {
        while (left > 0 && !res.destroyed) {
          const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
          left -= piece.length;
          if (!res.write(piece)) {
            res.once('drain', pump);
            return;
          }
        }
        if (!res.destroyed) res.end();
      };
      pump();
      return;
    }
    case 'redirect':
      res.writeHead(307, { location: answer.location });
      res.end();
      return;
    default: {
      const never: never = answer;
      throw new Error(`unscripted answer ${JSON.stringify(never)}`);
    }
  }
}

function openAiError(message: string, type: string): object {
  return { error: { message, type, param: null, code: null } };
}

function sendJson(res: ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
