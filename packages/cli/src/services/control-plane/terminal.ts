import { IsotypError } from '@isotyp/protocol';

/** Stdin larger than this is not a password. */
const MAX_STDIN_BYTES = 64 * 1024;

/**
 * Reads all of stdin (for `--password-stdin`), without the final line break `echo` adds.
 *
 * @example
 * const password = await readStdin(); // printf '%s' "$PW" | isotyp login … --password-stdin
 */
export async function readStdin(stream: NodeJS.ReadableStream = process.stdin): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buffer.length;
    if (size > MAX_STDIN_BYTES) {
      throw new IsotypError('ISOTYP_PAYLOAD_TOO_LARGE', 'Stdin is too large to be a password.', {
        hint: 'Pipe only the password into --password-stdin.',
      });
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/**
 * Asks for a secret on a terminal without echoing it. Ctrl-C cancels.
 *
 * @example
 * const password = await promptHidden('Password: ');
 */
export async function promptHidden(
  question: string,
  input: NodeJS.ReadStream = process.stdin,
  output: NodeJS.WriteStream = process.stderr,
): Promise<string> {
  output.write(question);
  input.setRawMode(true);
  input.resume();
  input.setEncoding('utf8');
  try {
    return await new Promise<string>((resolve, reject) => {
      let answer = '';
      const onData = (text: string) => {
        for (const char of text) {
          if (char === '\r' || char === '\n' || char === '\u0004') {
            input.off('data', onData);
            resolve(answer);
            return;
          }
          if (char === '\u0003') {
            input.off('data', onData);
            reject(new IsotypError('ISOTYP_USAGE', 'Cancelled.'));
            return;
          }
          answer = char === '\u007f' || char === '\b' ? answer.slice(0, -1) : answer + char;
        }
      };
      input.on('data', onData);
    });
  } finally {
    input.setRawMode(false);
    input.pause();
    output.write('\n');
  }
}
