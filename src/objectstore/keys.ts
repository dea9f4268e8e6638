import { InvalidKeyError } from './errors.js';

/** Longest key, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;
/** Longest key segment, in UTF-8 bytes (a file name on most file systems). */
export const MAX_SEGMENT_BYTES = 255;

// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u001f\u007f\\]/;

/** Throws InvalidKeyError unless `key` is a safe `/`-separated object key. */
export function validateKey(key: string): void {
  if (key.length === 0) throw new InvalidKeyError(key, 'empty');
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) throw new InvalidKeyError(key, `longer than ${MAX_KEY_BYTES} bytes`);
  if (FORBIDDEN.test(key)) throw new InvalidKeyError(key, 'control character or backslash');
  for (const segment of key.split('/')) {
    if (segment.length === 0) throw new InvalidKeyError(key, 'empty segment (leading, trailing or doubled /)');
    if (segment === '.' || segment === '..') throw new InvalidKeyError(key, `"${segment}" segment`);
    if (Buffer.byteLength(segment, 'utf8') > MAX_SEGMENT_BYTES) throw new InvalidKeyError(key, `segment longer than ${MAX_SEGMENT_BYTES} bytes`);
    // Names starting with a dot are the local store's own (temp files, locks).
    if (segment.startsWith('.')) throw new InvalidKeyError(key, 'segment starts with "."');
  }
}
