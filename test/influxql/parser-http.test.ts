/**
 * The parser seen through `/query` on a real server: a syntax error anywhere fails the whole query
 * with 400 `error parsing query: …` (InfluxDB 1.6.7's text, position counted from the trimmed
 * `q`), while a statement InfluxDB parses but refuses when it prepares it (a bad GROUP BY) is that
 * statement's own error (200). Expected answers are influxd 1.6.7's for the same points.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { send, startServer } from '../support/http-helpers.js';

test('/query: a parse error is 400 for the whole query; a GROUP BY InfluxDB refuses is the statement\'s error', async () => {
  const s = await startServer({}, {});
  try {
    const auth: Record<string, string> = s.token === undefined ? {} : { Authorization: `Bearer ${s.token}` };
    const w = await send(s.port, 'POST', '/write?db=d1&precision=s', 'cpu,host=a v=1 1\ncpu,host=b v=3 2', auth);
    assert.equal(w.status, 204, w.text);
    const query = (q: string) => send(s.port, 'GET', `/query?${new URLSearchParams({ db: 'd1', q }).toString()}`, undefined, auth);

    const parseError = await query('  SELECT mean(v) FROM cpu; SELECT * FROM cpu WHERE');
    assert.equal(parseError.status, 400);
    assert.deepEqual(JSON.parse(parseError.text), { error: 'error parsing query: found EOF, expected identifier, string, number, bool at line 1, char 50' });

    // One statement each: InfluxDB 1.6 stops a query at its first failing statement (and, when more
    // follow, reports "not executed" in its place), which is the executor's business, not the parser's.
    const bad = await query('SELECT mean(v) FROM cpu GROUP BY 1');
    assert.equal(bad.status, 200, bad.text);
    assert.deepEqual(JSON.parse(bad.text), { results: [{ statement_id: 0, error: 'only time and tag dimensions allowed' }] });
    const twoTimes = await query('SELECT mean(v) FROM cpu GROUP BY time(1h), time(2h)');
    assert.deepEqual(JSON.parse(twoTimes.text), { results: [{ statement_id: 0, error: 'multiple time dimensions not allowed' }] });
    const folded = await query('SELECT max(v) FROM cpu GROUP BY (host)');
    assert.deepEqual(JSON.parse(folded.text).results, [{
      statement_id: 0,
      series: [
        { name: 'cpu', tags: { host: 'a' }, columns: ['time', 'max'], values: [['1970-01-01T00:00:01Z', 1]] },
        { name: 'cpu', tags: { host: 'b' }, columns: ['time', 'max'], values: [['1970-01-01T00:00:02Z', 3]] },
      ],
    }]);
  } finally {
    await s.stop();
  }
});
