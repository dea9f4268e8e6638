/** Structured logs to stderr: JSON lines (default off a terminal) or a readable line (on one). */
import type { WalLogger } from '../wal/notifier.js';

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;
type Level = keyof typeof LEVELS;

/** The values of `--log-level`. */
export const LOG_LEVELS: readonly string[] = Object.keys(LEVELS);
/** The values of `--log-format` (empty: pretty on a terminal, else json). */
export const LOG_FORMATS: readonly string[] = ['json', 'pretty'];

function plain(obj: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v instanceof Error) out[k] = { message: v.message, name: v.name, ...(v.stack === undefined ? {} : { stack: v.stack }) };
    else if (typeof v === 'bigint') out[k] = String(v);
    else out[k] = v;
  }
  return out;
}

/** A logger writing to stderr at `level` and above; unknown levels mean info. */
export function createLogger(format: string, level: string): WalLogger {
  const min = LEVELS[(level as Level) in LEVELS ? (level as Level) : 'info'];
  const pretty = format === 'pretty' || (format === '' && process.stderr.isTTY === true);
  const emit = (lvl: Level) => (obj: object, msg: string) => {
    if (LEVELS[lvl] < min) return;
    const fields = plain(obj);
    if (pretty) {
      const extra = Object.entries(fields)
        .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? String(x) : x)) : String(v)}`)
        .join(' ');
      process.stderr.write(`${new Date().toISOString()} ${lvl.toUpperCase().padEnd(5)} ${msg}${extra === '' ? '' : ` ${extra}`}\n`);
    } else {
      process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level: lvl, msg, ...fields }, (_k, x: unknown) => (typeof x === 'bigint' ? String(x) : x))}\n`);
    }
  };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}
