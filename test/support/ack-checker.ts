import assert from 'node:assert/strict';

type Outcome = 'pending' | 'acked' | 'refused' | 'indeterminate';

interface Request {
  keys: string[];
  outcome: Outcome;
}

/** What {@link AckChecker.check} found. */
export interface AckReport {
  requests: number;
  acked: number;
  indeterminate: number;
  refused: number;
  linesChecked: number;
  lost: string[];
  unexpected: string[];
  duplicates: string[];
  /** Indeterminate requests present in part (they must be all or nothing). */
  partial: string[];
  /** Requests refused with a definite error whose lines are present. */
  refusedPresent: string[];
}

/**
 * The acknowledged-write checker every reliability suite shares. Each request has an id and
 * each of its lines a key unique across the run. After recovery, given the keys present (one
 * entry per stored row, so a duplicate shows twice):
 * lost = acked − present, unexpected = present − attempted, duplicates = keys present twice;
 * an indeterminate request (timed out, connection dropped, process killed, error after the
 * write may have happened) must be present whole or not at all; a request refused with a
 * definite error (400, 503 before buffering) must be absent.
 */
export class AckChecker {
  private readonly requests = new Map<string, Request>();
  private readonly requestOfKey = new Map<string, string>();

  constructor(readonly label: string) {}

  /** Records a request about to be sent, with the unique key of each of its lines. */
  attempt(requestId: string, keys: readonly string[]): void {
    assert.ok(!this.requests.has(requestId), `${this.label}: request id ${requestId} reused`);
    for (const key of keys) {
      assert.ok(!this.requestOfKey.has(key), `${this.label}: line key ${key} reused`);
      this.requestOfKey.set(key, requestId);
    }
    this.requests.set(requestId, { keys: [...keys], outcome: 'pending' });
  }

  ack(requestId: string): void {
    this.get(requestId).outcome = 'acked';
  }

  /** The request was refused with an error that says nothing was written. */
  refuse(requestId: string): void {
    this.get(requestId).outcome = 'refused';
  }

  /** The request's outcome is unknown (the default for requests never answered). */
  indeterminate(requestId: string): void {
    this.get(requestId).outcome = 'indeterminate';
  }

  get ackedCount(): number {
    let n = 0;
    for (const r of this.requests.values()) if (r.outcome === 'acked') n++;
    return n;
  }

  get attemptedCount(): number {
    return this.requests.size;
  }

  /** Compares what is present with what was attempted and acknowledged. */
  report(present: Iterable<string>): AckReport {
    const counts = new Map<string, number>();
    for (const key of present) counts.set(key, (counts.get(key) ?? 0) + 1);
    const report: AckReport = { requests: this.requests.size, acked: 0, indeterminate: 0, refused: 0, linesChecked: 0, lost: [], unexpected: [], duplicates: [], partial: [], refusedPresent: [] };
    for (const [key, n] of counts) {
      if (!this.requestOfKey.has(key)) report.unexpected.push(key);
      if (n > 1) report.duplicates.push(key);
    }
    for (const [id, r] of this.requests) {
      let presentLines = 0;
      for (const key of r.keys) if (counts.has(key)) presentLines++;
      report.linesChecked += r.keys.length;
      if (r.outcome === 'acked') {
        report.acked++;
        for (const key of r.keys) if (!counts.has(key)) report.lost.push(key);
      } else if (r.outcome === 'refused') {
        report.refused++;
        if (presentLines > 0) report.refusedPresent.push(id);
      } else {
        report.indeterminate++;
        if (presentLines !== 0 && presentLines !== r.keys.length) report.partial.push(`${id} (${presentLines}/${r.keys.length})`);
      }
    }
    return report;
  }

  /** Asserts zero lost, unexpected, duplicated, partial and refused-but-present; returns the report. */
  check(present: Iterable<string>, context = ''): AckReport {
    const r = this.report(present);
    const where = `${this.label}${context === '' ? '' : ` ${context}`}`;
    const sample = (xs: string[]): string => `${xs.length} (${xs.slice(0, 5).join(', ')}${xs.length > 5 ? ', …' : ''})`;
    assert.equal(r.lost.length, 0, `${where}: acknowledged lines lost: ${sample(r.lost)}`);
    assert.equal(r.unexpected.length, 0, `${where}: lines present but never attempted: ${sample(r.unexpected)}`);
    assert.equal(r.duplicates.length, 0, `${where}: lines present more than once: ${sample(r.duplicates)}`);
    assert.equal(r.partial.length, 0, `${where}: indeterminate requests present in part: ${sample(r.partial)}`);
    assert.equal(r.refusedPresent.length, 0, `${where}: refused requests present: ${sample(r.refusedPresent)}`);
    return r;
  }

  private get(requestId: string): Request {
    const r = this.requests.get(requestId);
    assert.ok(r !== undefined, `${this.label}: unknown request ${requestId}`);
    return r;
  }
}

/** Reports summed over many runs, for a suite's count line. */
export class AckTotals {
  acked = 0;
  indeterminate = 0;
  refused = 0;
  lines = 0;
  lost = 0;
  duplicated = 0;
  unexpected = 0;
  partial = 0;

  add(r: AckReport): void {
    this.acked += r.acked;
    this.indeterminate += r.indeterminate;
    this.refused += r.refused;
    this.lines += r.linesChecked;
    this.lost += r.lost.length;
    this.duplicated += r.duplicates.length;
    this.unexpected += r.unexpected.length;
    this.partial += r.partial.length;
  }
}
