import { gzipSync } from 'node:zlib';
import type { Context } from 'hono';

/** Answers smaller than this go as they are: compressing them saves less than it costs. */
export const COMPRESS_FROM_BYTES = 1024;

/** Each kept answer's gzip form, made on first demand and kept as long as the answer is. */
const gzipped = new WeakMap<Uint8Array, Uint8Array<ArrayBuffer>>();
/** Verdicts on Accept-Encoding values seen so far: clients send the same few over and over. */
const verdicts = new Map<string, boolean>();
const VERDICTS_KEPT = 256;

/**
 * A 200 JSON answer kept as bytes by its route (a page of a list, a change with its review) and
 * sent to many callers: gzip-compressed when the client accepts it (Node's fetch, which the CLI
 * uses, and browsers do) and it is at least COMPRESS_FROM_BYTES long — compressed once, when it
 * is first asked for that way, then kept with it. Both forms say `Vary: Accept-Encoding`.
 *
 * Only answers that hold no secret come here: a compressed answer's size says something about
 * its content, which matters when a secret sits beside text an attacker chose (BREACH). These
 * answers carry ids, names and digests, and the API takes no cookies, so a third-party page
 * cannot make a browser fetch them signed in.
 *
 * @example
 * return keptAnswer(c, Buffer.from(JSON.stringify(view)));
 */
export function keptAnswer(c: Context, bytes: Uint8Array<ArrayBuffer>): Response {
  if (bytes.byteLength >= COMPRESS_FROM_BYTES && acceptsGzip(c.req.header('accept-encoding'))) {
    let packed = gzipped.get(bytes);
    if (packed === undefined) {
      packed = gzipSync(bytes) as Uint8Array<ArrayBuffer>;
      gzipped.set(bytes, packed);
    }
    return c.body(packed, 200, {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
      vary: 'Accept-Encoding',
    });
  }
  return c.body(bytes, 200, { 'content-type': 'application/json', vary: 'Accept-Encoding' });
}

/**
 * Whether an Accept-Encoding value (RFC 9110 §12.5.3) admits gzip: `gzip` or `*` listed with a
 * weight above zero, and gzip not refused by name.
 *
 * @example
 * acceptsGzip('gzip, deflate') // true
 * acceptsGzip('br;q=1, gzip;q=0') // false
 */
export function acceptsGzip(header: string | undefined): boolean {
  if (header === undefined || header === '') return false;
  let verdict = verdicts.get(header);
  if (verdict === undefined) {
    let named: boolean | undefined;
    let any = false;
    for (const part of header.split(',')) {
      const [coding = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
      const weight = params.find((p) => p.startsWith('q='));
      const wanted = weight === undefined || Number(weight.slice(2)) > 0;
      if (coding === 'gzip' || coding === 'x-gzip') named = wanted;
      else if (coding === '*') any = wanted;
    }
    verdict = named ?? any;
    if (verdicts.size < VERDICTS_KEPT) verdicts.set(header, verdict);
  }
  return verdict;
}
