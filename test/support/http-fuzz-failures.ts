/**
 * The HTTP fuzzer's findings, grouped by signature (kind, status, route, the shape of the answer)
 * so that one bug hit a thousand times reads as one finding: its count, and the exact raw bytes of
 * the first request that showed it, with the requests pipelined around it.
 */
import { createHash } from 'node:crypto';
import type { FuzzRequest } from './http-fuzz-requests.js';

/** One distinct finding. */
export interface Finding {
  kind: string;
  signature: string;
  count: number;
  /** The request that showed it first (undefined when none could be named). */
  culprit: FuzzRequest | undefined;
  /** The requests sent on the same connection in the same batch (the culprit among them). */
  context: FuzzRequest[];
  detail: string;
}

/** The raw bytes of a request as a JSON string of latin1 characters (byte for byte), cut at `max` bytes. */
export function rawBytes(bytes: Buffer, max = 2000): string {
  const text = JSON.stringify(bytes.subarray(0, max).toString('latin1'));
  if (bytes.length <= max) return text;
  return `${text} … (${bytes.length} bytes in all, sha256 ${createHash('sha256').update(bytes).digest('hex').slice(0, 16)})`;
}

/** The request line of a raw request, for signatures: method and path, no query. */
export function routeOf(bytes: Buffer): string {
  const end = bytes.indexOf('\r\n');
  const line = bytes.subarray(0, end < 0 ? Math.min(bytes.length, 200) : Math.min(end, 200)).toString('latin1');
  const [method = '', target = ''] = line.split(' ');
  return `${method.slice(0, 10)} ${target.split('?')[0]!.slice(0, 40)}`;
}

/** An answer's body with its changing parts blurred, for signatures. */
export function bodyShape(body: Buffer): string {
  return body
    .subarray(0, 160)
    .toString('utf8')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>')
    .replace(/"[^"]{0,60}"/g, '"…"')
    .replace(/\d+/g, '#')
    .slice(0, 100);
}

export class FailureLog {
  private readonly findings = new Map<string, Finding>();

  record(kind: string, signature: string, culprit: FuzzRequest | undefined, context: FuzzRequest[], detail: string): void {
    const key = `${kind}: ${signature}`;
    const known = this.findings.get(key);
    if (known !== undefined) {
      known.count++;
      return;
    }
    this.findings.set(key, { kind, signature, count: 1, culprit, context, detail });
    console.log(`# http fuzz FAILURE ${key}\n${describe(this.findings.get(key)!)}`);
  }

  get size(): number {
    return this.findings.size;
  }

  get all(): Finding[] {
    return [...this.findings.values()];
  }

  /** Every finding with its raw request bytes, for the failure message. */
  report(seed: number): string {
    return this.all.map((f, i) => `${i + 1}. ${f.kind}: ${f.signature} (×${f.count})\n${describe(f)}`).join('\n') + `\n(replay with SEED=${seed})`;
  }
}

function describe(f: Finding): string {
  const lines = [`   ${f.detail.split('\n').join('\n   ')}`];
  if (f.culprit !== undefined) lines.push(`   request (${f.culprit.label}): ${rawBytes(f.culprit.bytes)}`);
  else lines.push('   request: not identified');
  if (f.context.length > 1 || (f.context.length === 1 && f.context[0] !== f.culprit)) {
    lines.push('   the batch it was pipelined in, in order (» marks it):');
    for (const r of f.context) lines.push(`   ${r === f.culprit ? '»' : ' '} ${rawBytes(r.bytes, 300)}`);
  }
  return lines.join('\n');
}
