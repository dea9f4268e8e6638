/**
 * A Grafana dashboard against InfluxDB 1.x and Sluice: the queries Grafana's InfluxQL data
 * source sends for template variables, panels, tables and annotations, with `$timeFilter`,
 * `$__interval` and `$__interval_ms` expanded as Grafana expands them (absolute milliseconds,
 * `epoch=ms`), several panel targets joined with `;` as one request. Each answer must equal
 * InfluxDB's, value by value.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testSeed } from '../../src/effects/rng.js';
import { showAnswer, startInfluxDB1, startSluice } from '../support/influxdb1.js';
import { ask, compareAnswers, writeDataset } from './compare.js';
import type { StatementCase } from './statements.js';

/** A dashboard's time range, as Grafana writes it into `$timeFilter`. */
const RANGES = [
  'time >= 1500000000000ms and time <= 1500003600000ms',
  'time >= 1500005400000ms and time <= 1500014400000ms',
];
/** `$__interval` for each range at Grafana's default max data points (one hour / 10 s, 2.5 h / 1 m). */
const INTERVALS = ['10s', '1m'];

/** A dashboard query with Grafana's macros; expanded once per range. */
const DASHBOARD = [
  // Panels (graph): one target each, and several targets of one panel in one request.
  'SELECT mean("usage_user") FROM "cpu" WHERE $timeFilter GROUP BY time($__interval) fill(null)',
  'SELECT mean("usage_user") FROM "autogen"."cpu" WHERE ("host" =~ /^server01$/) AND $timeFilter GROUP BY time($__interval) fill(null)',
  'SELECT mean("usage_user") FROM "cpu" WHERE $timeFilter GROUP BY time($__interval), "host" fill(null)',
  'SELECT max("used_percent") AS "peak", min("used_percent") AS "low" FROM "mem" WHERE ("host" = \'server02\') AND $timeFilter GROUP BY time($__interval) fill(none)',
  'SELECT non_negative_derivative(mean("bytes_recv"), 1s) FROM "net" WHERE $timeFilter GROUP BY time($__interval) fill(null)',
  'SELECT mean("usage_user") FROM "cpu" WHERE ("region" = \'us-west\') AND $timeFilter GROUP BY time($__interval) fill(previous)',
  'SELECT mean("usage_user") FROM "cpu" WHERE $timeFilter GROUP BY time($__interval) fill(null);SELECT mean("usage_system") FROM "cpu" WHERE $timeFilter GROUP BY time($__interval) fill(null)',
  'SELECT count("message") FROM "events" WHERE $timeFilter GROUP BY time(10m) fill(0)',
  'SELECT percentile("usage_user", 95) FROM "cpu" WHERE $timeFilter GROUP BY time(5m) fill(none)',
  'SELECT mean("usage_idle") * -1 + 100 FROM "cpu" WHERE $timeFilter GROUP BY time($__interval), "region" fill(linear)',
  // Single stat and table panels.
  'SELECT last("usage_user") FROM "cpu" WHERE $timeFilter GROUP BY "host"',
  'SELECT "message", "ok", "code" FROM "events" WHERE $timeFilter',
  'SELECT "usage_user", "host" FROM "cpu" WHERE $timeFilter ORDER BY time DESC LIMIT 10',
  // Annotations.
  'SELECT "message" FROM "events" WHERE "kind" = \'deploy\' AND $timeFilter',
];

/** Template variable and query editor queries (no time range), as Grafana sends them. */
const VARIABLES = [
  'SHOW TAG VALUES WITH KEY = "host"',
  'SHOW TAG VALUES FROM "cpu" WITH KEY = "host" WHERE "region" =~ /^us-west$/',
  'SHOW TAG VALUES FROM "cpu" WITH KEY = "region"',
  'SHOW MEASUREMENTS LIMIT 100',
  'SHOW MEASUREMENTS WITH MEASUREMENT =~ /cp/ LIMIT 100',
  'SHOW FIELD KEYS FROM "cpu"',
  'SHOW FIELD KEYS FROM "autogen"."events"',
  'SHOW TAG KEYS FROM "cpu"',
  'SHOW TAG KEYS',
  'SHOW RETENTION POLICIES on "diff"',
  'SHOW DATABASES',
];

/** The dashboard's requests: each query per range, `$__interval` expanded for that range. */
function requests(): StatementCase[] {
  const out: StatementCase[] = [];
  RANGES.forEach((range, i) => {
    for (const q of DASHBOARD) out.push({ q: q.replaceAll('$timeFilter', range).replaceAll('$__interval', INTERVALS[i]!) });
  });
  for (const q of VARIABLES) out.push({ q });
  return out;
}

test('a Grafana dashboard (panels, tables, annotations, template variables) answers as from InfluxDB 1.x', { timeout: 120_000 }, async () => {
  const seed = testSeed();
  console.log(`# influxql grafana seed=${seed} (replay with SEED=${seed})`);
  const [influx, sluice] = await Promise.all([startInfluxDB1(), startSluice()]);
  try {
    await writeDataset([influx, sluice], seed);
    const rows = requests();
    const failures: string[] = [];
    for (const c of rows) {
      // Grafana asks for epoch=ms; the first range also with RFC3339 times, as older versions did.
      for (const epoch of c.q.includes('1500000000000ms') ? ['ms', undefined] : ['ms']) {
        const [a, b] = await Promise.all([ask(influx, c, epoch), ask(sluice, c, epoch)]);
        const diffs = compareAnswers(c, a, b);
        if (diffs.length > 0) {
          failures.push(`✗ ${c.q}  [${epoch === undefined ? 'RFC3339' : `epoch=${epoch}`}]\n  ${diffs.join('\n  ')}` + (failures.length < 15 ? `\n  InfluxDB: ${showAnswer(a, 1_200)}\n  Sluice:   ${showAnswer(b, 1_200)}` : ''));
        }
      }
    }
    console.log(`# influxql grafana: ${rows.length} dashboard queries, ${rows.length - new Set(failures.map((f) => f.split('  [')[0])).size} equal`);
    if (failures.length > 0) console.log(failures.join('\n\n'));
    assert.equal(failures.length, 0, `${failures.length} Grafana answers differ from InfluxDB 1.x`);
  } finally {
    await Promise.all([influx.stop(), sluice.stop()]);
  }
});
