import { type DestinationStream, type Level, type Logger, pino } from 'pino';

export interface LoggerOptions {
  level?: Level | 'silent';
  /** Where JSON lines go; standard output when absent. */
  destination?: DestinationStream;
  /**
   * Write to this file descriptor or path through a buffer instead (what `isotyp server start`
   * does): one write per 4 KiB of lines or per FLUSH_MS, not one per line — a line per request
   * written synchronously costs a busy server more than most requests. Lines still waiting are
   * written when the process exits; call `logger.flush()` on a clean stop.
   */
  buffered?: number | string;
}

/** The longest a buffered log line waits before it is written. */
export const FLUSH_MS = 250;

/**
 * The control plane's pino logger: JSON lines, ISO times, and secrets removed before anything
 * is written — values under credential-like keys at any depth, passwords inside connection
 * strings, bearer tokens inside messages.
 *
 * @example
 * const logger = createLogger({ level: 'info' });
 * logger.info({ database: 'postgres://cp:s3cret@db/cp' }, 'starting'); // "postgres://cp:***@db/cp"
 */
export function createLogger({ level = 'info', destination, buffered }: LoggerOptions = {}): Logger {
  const options = {
    level,
    timestamp: isoTime,
    formatters: {
      log: (object: Record<string, unknown>) =>
        TRUSTED in object ? object : (redact(object, 0) as Record<string, unknown>),
    },
    // The standard serializer's output has its own prototype, so it is walked as a record.
    serializers: { err: (error: Error) => redactRecord(pino.stdSerializers.err(error), 0) },
    hooks: {
      logMethod(this: Logger, args: unknown[], method: (...args: unknown[]) => void) {
        if (isTrusted(args[0])) return method.apply(this, args);
        method.apply(
          this,
          args.map((arg) => (typeof arg === 'string' ? redactString(arg) : arg)),
        );
      },
    },
  };
  if (buffered !== undefined) {
    const stream = new LineBatch(
      pino.destination({ dest: buffered, sync: false, minLength: BATCH_CHARS, maxWrite: MAX_WRITE }),
    );
    const logger = pino(options, stream);
    plainLoggers.add(logger);
    // Quiet servers still get their lines out promptly; the timer never keeps the process alive.
    setInterval(() => {
      try {
        // The stream's own flush, without a callback: it does nothing while a write is under way
        // (pino's would queue a listener each time).
        stream.flush();
      } catch {
        // Not open yet (a path opens asynchronously): the next tick writes.
      }
    }, FLUSH_MS).unref();
    return logger;
  }
  const logger = destination ? pino(options, destination) : pino(options);
  // A multistream wants each line's level and object beside it: pino's own path gives them.
  if (!(destination !== undefined && needsMetadataGsym in destination)) plainLoggers.add(logger);
  return logger;
}

/** The fields of a line written by `infoLine`: values already known to hold no secret. */
export type LineFields = Readonly<Record<string, string | number | undefined>>;

/**
 * Loggers made by `createLogger` (not their children): their lines have pino's plain shape —
 * no mixin, no message prefix, no level formatter — so `infoLine` may write them itself.
 */
const plainLoggers = new WeakSet<Logger>();

const { chindingsSym, endSym, lsCacheSym, messageKeySym, needsMetadataGsym, streamSym, timeSym } = pino.symbols;
const INFO = 30;

/**
 * Writes one info line of fields that cannot hold a secret — ids matched against a pattern,
 * route patterns, numbers — byte for byte as `logger.info({ [TRUSTED]: true, ...fields }, msg)`
 * would, but built as one string: the access line is written once a request, and pino's
 * general path (hooks, formatters, a serializer lookup per key) is most of its cost. Fields
 * `undefined` are left out, as pino leaves them out. Other loggers (children, tests' own pino
 * instances) go through pino itself.
 *
 * @example
 * infoLine(logger, { requestId, method: 'GET', route: '/v1/changes/:id', status: 200, ms: 1.2 }, 'request');
 */
export function infoLine(logger: Logger, fields: LineFields, msg: string): void {
  if (!plainLoggers.has(logger)) {
    logger.info({ [TRUSTED]: true, ...fields }, msg);
    return;
  }
  if (logger.levelVal > INFO) return;
  const raw = logger as unknown as Record<symbol, unknown>;
  let line = `${(raw[lsCacheSym] as Record<number, string>)[INFO]}${(raw[timeSym] as () => string)()}${raw[chindingsSym] as string}`;
  for (const key in fields) {
    const value = fields[key];
    if (value === undefined) continue;
    // As pino writes them: a number that is not finite is null.
    const text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : 'null') : JSON.stringify(value);
    line += `,"${key}":${text}`;
  }
  line += `,"${raw[messageKeySym] as string}":${JSON.stringify(msg)}${raw[endSym] as string}`;
  logStream(logger).write(line);
}

/**
 * Where `logger` writes its lines: text written here (whole lines of pino JSON, e.g. a worker
 * process's) goes out with the logger's own lines, in the same batches.
 */
export function logStream(logger: Logger): { write(text: string): void } {
  return (logger as unknown as Record<symbol, { write(text: string): void }>)[streamSym] as {
    write(text: string): void;
  };
}

/**
 * What a buffered logger hands its destination at once. Each write it passes on is a job on
 * libuv's thread pool and a wake-up back: at 20,000 access lines a second, 4 KiB batches made
 * ~1,200 of them a second; 60 KiB batches make ~80. FLUSH_MS still bounds how long a line waits.
 */
const BATCH_CHARS = 60 * 1024;
/** SonicBoom's largest single write (its minLength must stay below it). */
const MAX_WRITE = 64 * 1024;

/**
 * Lines gathered into batches of about BATCH_CHARS before they go to pino's destination (a
 * SonicBoom), which measures the byte length of its whole pending chunk on every write: one
 * write a line made each access line copy up to 16 KiB; a batch makes it one copy per batch.
 */
class LineBatch {
  #lines: string[] = [];
  #chars = 0;

  /** Set once a write failed for good (EPIPE: nobody reads the other end any more). */
  #broken = false;

  constructor(private readonly sink: ReturnType<typeof pino.destination>) {
    sink.on('error', () => {
      this.#broken = true;
    });
    // A process that exits without a clean stop still writes what is waiting (held weakly: a
    // logger nobody uses any more is not kept alive for it).
    if (!exitHooked) process.once('exit', flushAllSync);
    exitHooked = true;
    for (const ref of batches) if (ref.deref() === undefined) batches.delete(ref);
    batches.add(new WeakRef(this));
  }

  write(line: string): void {
    this.#lines.push(line);
    this.#chars += line.length;
    if (this.#chars >= BATCH_CHARS) this.#pass();
  }

  flush(done?: (error?: Error) => void): void {
    this.#pass();
    this.sink.flush(done);
  }

  flushSync(): void {
    // SonicBoom's flushSync retries a failed write every 100 ms for as long as it fails: at exit,
    // with the reader gone, that would hang the process for good.
    if (this.#broken || abandoned) return;
    this.#pass();
    try {
      this.sink.flushSync();
    } catch {
      // Already closed: nothing more can be written.
    }
  }

  #pass(): void {
    if (this.#lines.length === 0) return;
    const text = this.#lines.join('');
    this.#lines = [];
    this.#chars = 0;
    this.sink.write(text);
  }
}

const batches = new Set<WeakRef<LineBatch>>();
let exitHooked = false;
let abandoned = false;

/**
 * Leaves the lines still waiting unwritten at exit: for a process whose log reader is known to be
 * gone (a control-plane worker whose primary died), where writing them could only fail.
 */
export function abandonLogLines(): void {
  abandoned = true;
}

function flushAllSync(): void {
  for (const ref of batches) ref.deref()?.flushSync();
}

/** `,"time":"<ISO 8601>"`, made once per millisecond however many lines share it. */
let timeAt = Number.NaN;
let timeText = '';
function isoTime(): string {
  const now = Date.now();
  if (now !== timeAt) {
    timeAt = now;
    timeText = `,"time":"${new Date(now).toISOString()}"`;
  }
  return timeText;
}

export const REDACTED = '[redacted]';

/**
 * Marks a record built only of values that cannot hold a secret — ids checked against a
 * pattern, route patterns, numbers, the HTTP method — so that redaction, which walks every
 * field, is skipped for it: the access log writes one such line per request. Its message must be
 * a constant. The mark itself is a symbol, which pino does not write.
 *
 * @example
 * logger.info({ [TRUSTED]: true, route: '/v1/changes/:id', status: 200 }, 'request');
 */
export const TRUSTED: unique symbol = Symbol('isotyp.log.trusted');

function isTrusted(value: unknown): boolean {
  return typeof value === 'object' && value !== null && TRUSTED in value;
}

/** Key names (lower-case, without `-` and `_`) whose values are never logged. */
const SECRET_KEYS: ReadonlySet<string> = new Set([
  'authorization',
  'proxyauthorization',
  'cookie',
  'setcookie',
  'apikey',
  'xapikey',
  'credentials',
]);
const SECRET_SUFFIXES = ['password', 'passwd', 'secret', 'token', 'tokens', 'privatekey', 'privatejwk', 'passwordhash'];

/** Verdicts on key names seen so far: a server logs the same few dozen keys over and over. */
const keyVerdicts = new Map<string, boolean>();
const KEY_VERDICTS_KEPT = 1024;

function isSecretKey(key: string): boolean {
  let secret = keyVerdicts.get(key);
  if (secret === undefined) {
    const bare = key.toLowerCase().replace(/[-_]/g, '');
    secret = SECRET_KEYS.has(bare) || SECRET_SUFFIXES.some((suffix) => bare.endsWith(suffix));
    if (keyVerdicts.size < KEY_VERDICTS_KEPT) keyVerdicts.set(key, secret);
  }
  return secret;
}

/** `scheme://user:password@` → `scheme://user:***@`. */
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s@/]*@/gi;
/** `password=…` in DSNs and query strings. */
const PARAM_PASSWORD = /\b(password|passwd|pwd|sslpassword|token|access_token|secret)=[^\s&;]*/gi;
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g;

/** Removes credentials from free text. */
export function redactString(text: string): string {
  if (!text.includes('://') && !text.includes('=') && !/Bearer|Basic/.test(text)) return text;
  return text.replace(URL_PASSWORD, '$1***@').replace(PARAM_PASSWORD, '$1=***').replace(BEARER, '$1 ***');
}

const MAX_REDACT_DEPTH = 8;

/**
 * A copy of `value` fit for a log line: plain objects and arrays are walked (to a bounded
 * depth), credential-like keys masked and strings cleaned; other objects pass as they are
 * (errors go through the `err` serializer, which walks its own output).
 */
export function redact(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return redactString(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_REDACT_DEPTH) return '[too deep]';
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  return redactRecord(value, depth);
}

function redactRecord(value: object, depth: number): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const item = (value as Record<string, unknown>)[key];
    const clean = isSecretKey(key) && item !== undefined && item !== null ? REDACTED : redact(item, depth + 1);
    // Defined, not assigned, so that a `__proto__` key stays a key and sets no prototype.
    if (key === '__proto__') Object.defineProperty(copy, key, { value: clean, enumerable: true, writable: true });
    else copy[key] = clean;
  }
  return copy;
}
