import { FieldKind } from '../wal/model.js';
import type { Point } from './parser.js';

function escapeMeasurement(s: string): string {
  return s.replace(/[\\, ]/g, (c) => `\\${c}`);
}

function escapeKey(s: string): string {
  return s.replace(/[\\,= ]/g, (c) => `\\${c}`);
}

function escapeString(s: string): string {
  return s.replace(/[\\"]/g, (c) => `\\${c}`);
}

/** One point as a line of line protocol (no newline); `parseLines` gives the point back. */
export function serializePoint(point: Omit<Point, 'lineNumber'>): string {
  let out = escapeMeasurement(point.measurement);
  for (const [k, v] of point.tags) out += `,${escapeKey(k)}=${escapeKey(v)}`;
  out += ' ';
  point.fields.forEach(([k, kind, v], i) => {
    if (i > 0) out += ',';
    out += `${escapeKey(k)}=`;
    switch (kind) {
      case FieldKind.String:
        out += `"${escapeString(v as string)}"`;
        break;
      case FieldKind.Int64:
        out += `${String(v)}i`;
        break;
      case FieldKind.UInt64:
        out += `${String(v)}u`;
        break;
      case FieldKind.Boolean:
        out += v ? 'true' : 'false';
        break;
      default: {
        // the shortest decimal that round-trips; line protocol has no NaN or infinities
        const n = v as number;
        if (!Number.isFinite(n)) throw new RangeError(`line protocol cannot carry the float ${n}`);
        out += Object.is(n, -0) ? '-0' : String(n);
      }
    }
  });
  if (point.timestamp !== undefined) out += ` ${point.timestamp}`;
  return out;
}

/** Points as a body of line protocol, one line each. */
export function serializePoints(points: ReadonlyArray<Omit<Point, 'lineNumber'>>): string {
  return points.map(serializePoint).join('\n');
}
