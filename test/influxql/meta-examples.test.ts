/**
 * Worked examples for InfluxQL's meta statements: the same line protocol written to InfluxDB
 * 1.6.7 (Debian's influxd, `inmem` index, its default) and to Sluice, each statement sent to
 * both; `want` is influxd's answer for that statement, byte for byte as its /query JSON prints
 * it. Sluice's answer goes through the parser and the executor and is printed the same way.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { runInfluxQL, type InfluxQLEnvironment } from '../../src/influxql/executor.js';
import { tempDatabase } from '../support/db-helpers.js';
import { environmentOf, influxJson, META_DATA, OTHER_DATA } from './meta-support.js';

/** [db parameter, statement, influxd 1.6.7's answer]. */
const EXAMPLES: Array<[string | null, string, string]> = [
  [null, "SHOW DATABASES", "{\"statement_id\":0,\"series\":[{\"name\":\"databases\",\"columns\":[\"name\"],\"values\":[[\"t\"],[\"other\"]]}]}"],
  ["t", "SHOW RETENTION POLICIES", "{\"statement_id\":0,\"series\":[{\"columns\":[\"name\",\"duration\",\"shardGroupDuration\",\"replicaN\",\"default\"],\"values\":[[\"autogen\",\"0s\",\"168h0m0s\",1,true]]}]}"],
  [null, "SHOW RETENTION POLICIES ON other", "{\"statement_id\":0,\"series\":[{\"columns\":[\"name\",\"duration\",\"shardGroupDuration\",\"replicaN\",\"default\"],\"values\":[[\"autogen\",\"0s\",\"168h0m0s\",1,true]]}]}"],
  [null, "SHOW RETENTION POLICIES", "{\"statement_id\":0,\"error\":\"database name required\"}"],
  ["t", "SHOW RETENTION POLICIES ON nosuchdb", "{\"statement_id\":0,\"error\":\"database not found: nosuchdb\"}"],
  ["t", "SHOW MEASUREMENTS", "{\"statement_id\":0,\"series\":[{\"name\":\"measurements\",\"columns\":[\"name\"],\"values\":[[\"Cpu\"],[\"cpu\"],[\"disk io\"],[\"dup\"],[\"events\"],[\"mem\"],[\"net\"]]}]}"],
  ["t", "SHOW MEASUREMENTS ON other", "{\"statement_id\":0,\"series\":[{\"name\":\"measurements\",\"columns\":[\"name\"],\"values\":[[\"load\"]]}]}"],
  ["t", "SHOW MEASUREMENTS WITH MEASUREMENT =~ /c.*/", "{\"statement_id\":0,\"series\":[{\"name\":\"measurements\",\"columns\":[\"name\"],\"values\":[[\"cpu\"]]}]}"],
  ["t", "SHOW MEASUREMENTS WITH MEASUREMENT = cpu", "{\"statement_id\":0,\"series\":[{\"name\":\"measurements\",\"columns\":[\"name\"],\"values\":[[\"cpu\"]]}]}"],
  ["t", "SHOW MEASUREMENTS WITH MEASUREMENT = nosuch", "{\"statement_id\":0}"],
  ["t", "SHOW MEASUREMENTS WHERE host = 'a'", "{\"statement_id\":0,\"series\":[{\"name\":\"measurements\",\"columns\":[\"name\"],\"values\":[[\"cpu\"],[\"mem\"]]}]}"],
  ["t", "SHOW MEASUREMENTS WHERE host =~ /^[ab]/", "{\"statement_id\":0,\"series\":[{\"name\":\"measurements\",\"columns\":[\"name\"],\"values\":[[\"cpu\"],[\"mem\"],[\"net\"]]}]}"],
  ["t", "SHOW MEASUREMENTS WHERE host != 'a'", "{\"statement_id\":0,\"series\":[{\"name\":\"measurements\",\"columns\":[\"name\"],\"values\":[[\"disk io\"],[\"net\"]]}]}"],
  ["t", "SHOW MEASUREMENTS WHERE host !~ /^[ab]/", "{\"statement_id\":0,\"series\":[{\"name\":\"measurements\",\"columns\":[\"name\"],\"values\":[[\"disk io\"]]}]}"],
  ["t", "SHOW MEASUREMENTS WHERE region = ''", "{\"statement_id\":0}"],
  ["t", "SHOW MEASUREMENTS WHERE host = 'a' OR region = 'eu'", "{\"statement_id\":0,\"series\":[{\"name\":\"measurements\",\"columns\":[\"name\"],\"values\":[[\"cpu\"],[\"mem\"]]}]}"],
  ["t", "SHOW MEASUREMENTS WHERE host = 'a' AND region = 'eu'", "{\"statement_id\":0,\"series\":[{\"name\":\"measurements\",\"columns\":[\"name\"],\"values\":[[\"cpu\"]]}]}"],
  ["t", "SHOW MEASUREMENTS WHERE (host = 'a' OR host = 'd') AND _name =~ /^[cd]/", "{\"statement_id\":0,\"series\":[{\"name\":\"measurements\",\"columns\":[\"name\"],\"values\":[[\"cpu\"],[\"disk io\"]]}]}"],
  ["t", "SHOW MEASUREMENTS WITH MEASUREMENT =~ /o/ WHERE host = 'a'", "{\"statement_id\":0}"],
  ["t", "SHOW MEASUREMENTS WHERE nosuch != 'x'", "{\"statement_id\":0}"],
  ["t", "SHOW MEASUREMENTS LIMIT 2 OFFSET 1", "{\"statement_id\":0,\"series\":[{\"name\":\"measurements\",\"columns\":[\"name\"],\"values\":[[\"cpu\"],[\"disk io\"]]}]}"],
  ["t", "SHOW MEASUREMENTS LIMIT 2", "{\"statement_id\":0,\"series\":[{\"name\":\"measurements\",\"columns\":[\"name\"],\"values\":[[\"Cpu\"],[\"cpu\"]]}]}"],
  ["t", "SHOW MEASUREMENTS OFFSET 10", "{\"statement_id\":0}"],
  ["t", "SHOW MEASUREMENTS WHERE v > 3", "{\"statement_id\":0,\"error\":\"invalid tag comparison operator\"}"],
  ["t", "SHOW MEASUREMENTS WHERE time > '2020-01-10T00:00:00Z'", "{\"statement_id\":0,\"error\":\"SHOW MEASUREMENTS doesn't support time in WHERE clause\"}"],
  ["t", "SHOW MEASUREMENTS WHERE host = 1", "{\"statement_id\":0,\"error\":\"right side of '=' must be a tag value string\"}"],
  ["t", "SHOW MEASUREMENTS WHERE 'a' = host", "{\"statement_id\":0,\"error\":\"left side of '=' must be a tag key\"}"],
  ["t", "SHOW MEASUREMENTS WHERE host", "{\"statement_id\":0,\"error\":\"&influxql.VarRef{Val:\\\"host\\\", Type:0}\"}"],
  [null, "SHOW MEASUREMENTS", "{\"statement_id\":0,\"error\":\"database name required\"}"],
  ["nosuchdb", "SHOW MEASUREMENTS", "{\"statement_id\":0}"],
  ["t", "SHOW TAG KEYS", "{\"statement_id\":0,\"series\":[{\"name\":\"Cpu\",\"columns\":[\"tagKey\"],\"values\":[[\"Host\"]]},{\"name\":\"cpu\",\"columns\":[\"tagKey\"],\"values\":[[\"host\"],[\"region\"]]},{\"name\":\"disk io\",\"columns\":[\"tagKey\"],\"values\":[[\"host\"],[\"mount point\"]]},{\"name\":\"dup\",\"columns\":[\"tagKey\"],\"values\":[[\"x\"],[\"y\"]]},{\"name\":\"mem\",\"columns\":[\"tagKey\"],\"values\":[[\"host\"]]},{\"name\":\"net\",\"columns\":[\"tagKey\"],\"values\":[[\"host\"],[\"iface\"],[\"zone\"]]}]}"],
  ["t", "SHOW TAG KEYS FROM cpu", "{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"columns\":[\"tagKey\"],\"values\":[[\"host\"],[\"region\"]]}]}"],
  ["t", "SHOW TAG KEYS FROM /^c/", "{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"columns\":[\"tagKey\"],\"values\":[[\"host\"],[\"region\"]]}]}"],
  ["t", "SHOW TAG KEYS FROM cpu, mem", "{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"columns\":[\"tagKey\"],\"values\":[[\"host\"],[\"region\"]]},{\"name\":\"mem\",\"columns\":[\"tagKey\"],\"values\":[[\"host\"]]}]}"],
  ["t", "SHOW TAG KEYS FROM events", "{\"statement_id\":0}"],
  ["t", "SHOW TAG KEYS FROM nosuch", "{\"statement_id\":0}"],
  ["t", "SHOW TAG KEYS ON other", "{\"statement_id\":0,\"series\":[{\"name\":\"load\",\"columns\":[\"tagKey\"],\"values\":[[\"host\"]]}]}"],
  ["t", "SHOW TAG KEYS WHERE host = 'a'", "{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"columns\":[\"tagKey\"],\"values\":[[\"host\"],[\"region\"]]},{\"name\":\"mem\",\"columns\":[\"tagKey\"],\"values\":[[\"host\"]]}]}"],
  ["t", "SHOW TAG KEYS FROM cpu WHERE host = 'c'", "{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"columns\":[\"tagKey\"],\"values\":[[\"host\"]]}]}"],
  ["t", "SHOW TAG KEYS WHERE host != 'a'", "{\"statement_id\":0,\"series\":[{\"name\":\"Cpu\",\"columns\":[\"tagKey\"],\"values\":[[\"Host\"]]},{\"name\":\"cpu\",\"columns\":[\"tagKey\"],\"values\":[[\"host\"],[\"region\"]]},{\"name\":\"disk io\",\"columns\":[\"tagKey\"],\"values\":[[\"host\"],[\"mount point\"]]},{\"name\":\"dup\",\"columns\":[\"tagKey\"],\"values\":[[\"x\"],[\"y\"]]},{\"name\":\"mem\",\"columns\":[\"tagKey\"],\"values\":[[\"host\"]]},{\"name\":\"net\",\"columns\":[\"tagKey\"],\"values\":[[\"host\"],[\"iface\"],[\"zone\"]]}]}"],
  ["t", "SHOW TAG KEYS WHERE region = ''", "{\"statement_id\":0,\"series\":[{\"name\":\"Cpu\",\"columns\":[\"tagKey\"],\"values\":[[\"Host\"]]},{\"name\":\"cpu\",\"columns\":[\"tagKey\"],\"values\":[[\"host\"]]},{\"name\":\"disk io\",\"columns\":[\"tagKey\"],\"values\":[[\"host\"],[\"mount point\"]]},{\"name\":\"dup\",\"columns\":[\"tagKey\"],\"values\":[[\"x\"],[\"y\"]]},{\"name\":\"mem\",\"columns\":[\"tagKey\"],\"values\":[[\"host\"]]},{\"name\":\"net\",\"columns\":[\"tagKey\"],\"values\":[[\"host\"],[\"iface\"],[\"zone\"]]}]}"],
  ["t", "SHOW TAG KEYS WHERE host = 'a' OR region = 'eu'", "{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"columns\":[\"tagKey\"],\"values\":[[\"host\"],[\"region\"]]},{\"name\":\"mem\",\"columns\":[\"tagKey\"],\"values\":[[\"host\"]]}]}"],
  ["t", "SHOW TAG KEYS WHERE _name = 'mem'", "{\"statement_id\":0,\"series\":[{\"name\":\"mem\",\"columns\":[\"tagKey\"],\"values\":[[\"host\"]]}]}"],
  ["t", "SHOW TAG KEYS LIMIT 1 OFFSET 1", "{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"columns\":[\"tagKey\"],\"values\":[[\"region\"]]},{\"name\":\"disk io\",\"columns\":[\"tagKey\"],\"values\":[[\"mount point\"]]},{\"name\":\"dup\",\"columns\":[\"tagKey\"],\"values\":[[\"y\"]]},{\"name\":\"net\",\"columns\":[\"tagKey\"],\"values\":[[\"iface\"]]}]}"],
  ["t", "SHOW TAG KEYS SLIMIT 1", "{\"statement_id\":0,\"series\":[{\"name\":\"Cpu\",\"columns\":[\"tagKey\"],\"values\":[[\"Host\"]]},{\"name\":\"cpu\",\"columns\":[\"tagKey\"],\"values\":[[\"host\"],[\"region\"]]},{\"name\":\"disk io\",\"columns\":[\"tagKey\"],\"values\":[[\"host\"],[\"mount point\"]]},{\"name\":\"dup\",\"columns\":[\"tagKey\"],\"values\":[[\"x\"],[\"y\"]]},{\"name\":\"mem\",\"columns\":[\"tagKey\"],\"values\":[[\"host\"]]},{\"name\":\"net\",\"columns\":[\"tagKey\"],\"values\":[[\"host\"],[\"iface\"],[\"zone\"]]}]}"],
  ["t", "SHOW TAG KEYS WHERE time > '2020-01-10T00:00:00Z'", "{\"statement_id\":0,\"series\":[{\"name\":\"Cpu\",\"columns\":[\"tagKey\"],\"values\":[[\"Host\"]]},{\"name\":\"cpu\",\"columns\":[\"tagKey\"],\"values\":[[\"host\"],[\"region\"]]},{\"name\":\"disk io\",\"columns\":[\"tagKey\"],\"values\":[[\"host\"],[\"mount point\"]]},{\"name\":\"dup\",\"columns\":[\"tagKey\"],\"values\":[[\"x\"],[\"y\"]]},{\"name\":\"mem\",\"columns\":[\"tagKey\"],\"values\":[[\"host\"]]},{\"name\":\"net\",\"columns\":[\"tagKey\"],\"values\":[[\"host\"],[\"iface\"],[\"zone\"]]}]}"],
  ["t", "SHOW TAG KEYS WHERE time > '2020-01-07T00:00:00Z' AND time < '2020-01-12T00:00:00Z'", "{\"statement_id\":0}"],
  ["t", "SHOW TAG KEYS WHERE time > '2030-01-01T00:00:00Z'", "{\"statement_id\":0}"],
  ["t", "SHOW TAG KEYS WHERE v > 3", "{\"statement_id\":0,\"error\":\"invalid tag comparison operator\"}"],
  ["t", "SHOW TAG KEYS WHERE v = 3", "{\"statement_id\":0,\"series\":[{\"name\":\"Cpu\",\"columns\":[\"tagKey\"],\"values\":[[\"Host\"]]},{\"name\":\"cpu\",\"columns\":[\"tagKey\"],\"values\":[[\"host\"],[\"region\"]]},{\"name\":\"disk io\",\"columns\":[\"tagKey\"],\"values\":[[\"host\"],[\"mount point\"]]},{\"name\":\"dup\",\"columns\":[\"tagKey\"],\"values\":[[\"x\"],[\"y\"]]},{\"name\":\"mem\",\"columns\":[\"tagKey\"],\"values\":[[\"host\"]]},{\"name\":\"net\",\"columns\":[\"tagKey\"],\"values\":[[\"host\"],[\"iface\"],[\"zone\"]]}]}"],
  ["t", "SHOW TAG KEYS WHERE host = 1", "{\"statement_id\":0,\"series\":[{\"name\":\"Cpu\",\"columns\":[\"tagKey\"],\"values\":[[\"Host\"]]},{\"name\":\"cpu\",\"columns\":[\"tagKey\"],\"values\":[[\"host\"],[\"region\"]]},{\"name\":\"disk io\",\"columns\":[\"tagKey\"],\"values\":[[\"host\"],[\"mount point\"]]},{\"name\":\"dup\",\"columns\":[\"tagKey\"],\"values\":[[\"x\"],[\"y\"]]},{\"name\":\"mem\",\"columns\":[\"tagKey\"],\"values\":[[\"host\"]]},{\"name\":\"net\",\"columns\":[\"tagKey\"],\"values\":[[\"host\"],[\"iface\"],[\"zone\"]]}]}"],
  [null, "SHOW TAG KEYS", "{\"statement_id\":0,\"error\":\"database name required\"}"],
  ["t", "SHOW TAG KEYS ON nosuchdb", "{\"statement_id\":0,\"error\":\"database not found: nosuchdb\"}"],
  ["t", "SHOW TAG VALUES WITH KEY = host", "{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"columns\":[\"key\",\"value\"],\"values\":[[\"host\",\"a\"],[\"host\",\"b\"],[\"host\",\"c\"],[\"host\",\"e\"]]},{\"name\":\"disk io\",\"columns\":[\"key\",\"value\"],\"values\":[[\"host\",\"d\"]]},{\"name\":\"mem\",\"columns\":[\"key\",\"value\"],\"values\":[[\"host\",\"a\"],[\"host\",\"b\"]]},{\"name\":\"net\",\"columns\":[\"key\",\"value\"],\"values\":[[\"host\",\"a,b\"]]}]}"],
  ["t", "SHOW TAG VALUES FROM cpu WITH KEY IN (host, region)", "{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"columns\":[\"key\",\"value\"],\"values\":[[\"host\",\"a\"],[\"host\",\"b\"],[\"host\",\"c\"],[\"host\",\"e\"],[\"region\",\"ap\"],[\"region\",\"eu\"],[\"region\",\"us\"]]}]}"],
  ["t", "SHOW TAG VALUES WITH KEY =~ /o/", "{\"statement_id\":0,\"series\":[{\"name\":\"Cpu\",\"columns\":[\"key\",\"value\"],\"values\":[[\"Host\",\"A\"]]},{\"name\":\"cpu\",\"columns\":[\"key\",\"value\"],\"values\":[[\"host\",\"a\"],[\"host\",\"b\"],[\"host\",\"c\"],[\"host\",\"e\"],[\"region\",\"ap\"],[\"region\",\"eu\"],[\"region\",\"us\"]]},{\"name\":\"disk io\",\"columns\":[\"key\",\"value\"],\"values\":[[\"host\",\"d\"],[\"mount point\",\"/home\"],[\"mount point\",\"/var\"]]},{\"name\":\"mem\",\"columns\":[\"key\",\"value\"],\"values\":[[\"host\",\"a\"],[\"host\",\"b\"]]},{\"name\":\"net\",\"columns\":[\"key\",\"value\"],\"values\":[[\"host\",\"a,b\"],[\"zone\",\"x=y\"]]}]}"],
  ["t", "SHOW TAG VALUES FROM cpu WITH KEY != host", "{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"columns\":[\"key\",\"value\"],\"values\":[[\"region\",\"ap\"],[\"region\",\"eu\"],[\"region\",\"us\"]]}]}"],
  ["t", "SHOW TAG VALUES FROM cpu WITH KEY !~ /h/", "{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"columns\":[\"key\",\"value\"],\"values\":[[\"region\",\"ap\"],[\"region\",\"eu\"],[\"region\",\"us\"]]}]}"],
  ["t", "SHOW TAG VALUES FROM cpu WITH KEY = host WHERE region = 'eu'", "{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"columns\":[\"key\",\"value\"],\"values\":[[\"host\",\"b\"]]}]}"],
  ["t", "SHOW TAG VALUES FROM cpu WITH KEY = host WHERE region != 'eu'", "{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"columns\":[\"key\",\"value\"],\"values\":[[\"host\",\"a\"],[\"host\",\"c\"],[\"host\",\"e\"]]}]}"],
  ["t", "SHOW TAG VALUES FROM cpu WITH KEY = host WHERE region =~ /u/ OR host = 'c'", "{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"columns\":[\"key\",\"value\"],\"values\":[[\"host\",\"a\"],[\"host\",\"b\"],[\"host\",\"c\"]]}]}"],
  ["t", "SHOW TAG VALUES FROM cpu WITH KEY = host LIMIT 2 OFFSET 1", "{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"columns\":[\"key\",\"value\"],\"values\":[[\"host\",\"b\"],[\"host\",\"c\"]]}]}"],
  ["t", "SHOW TAG VALUES WITH KEY = host WHERE v > 3", "{\"statement_id\":0,\"error\":\"invalid tag comparison operator\"}"],
  ["t", "SHOW TAG VALUES WITH KEY = host WHERE v = 3", "{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"columns\":[\"key\",\"value\"],\"values\":[[\"host\",\"a\"],[\"host\",\"b\"],[\"host\",\"c\"],[\"host\",\"e\"]]},{\"name\":\"disk io\",\"columns\":[\"key\",\"value\"],\"values\":[[\"host\",\"d\"]]},{\"name\":\"mem\",\"columns\":[\"key\",\"value\"],\"values\":[[\"host\",\"a\"],[\"host\",\"b\"]]},{\"name\":\"net\",\"columns\":[\"key\",\"value\"],\"values\":[[\"host\",\"a,b\"]]}]}"],
  ["t", "SHOW TAG VALUES WITH KEY = host WHERE time > '2020-01-07T00:00:00Z' AND time < '2020-01-12T00:00:00Z'", "{\"statement_id\":0}"],
  ["t", "SHOW TAG VALUES WITH KEY = host WHERE time > '2020-01-10T00:00:00Z'", "{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"columns\":[\"key\",\"value\"],\"values\":[[\"host\",\"a\"],[\"host\",\"b\"],[\"host\",\"c\"],[\"host\",\"e\"]]},{\"name\":\"disk io\",\"columns\":[\"key\",\"value\"],\"values\":[[\"host\",\"d\"]]},{\"name\":\"mem\",\"columns\":[\"key\",\"value\"],\"values\":[[\"host\",\"a\"],[\"host\",\"b\"]]},{\"name\":\"net\",\"columns\":[\"key\",\"value\"],\"values\":[[\"host\",\"a,b\"]]}]}"],
  ["t", "SHOW TAG VALUES WITH KEY = host WHERE time >= '2020-01-01T00:00:00Z' AND time <= '2020-01-01T00:00:01Z'", "{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"columns\":[\"key\",\"value\"],\"values\":[[\"host\",\"a\"],[\"host\",\"b\"],[\"host\",\"c\"],[\"host\",\"e\"]]},{\"name\":\"disk io\",\"columns\":[\"key\",\"value\"],\"values\":[[\"host\",\"d\"]]},{\"name\":\"mem\",\"columns\":[\"key\",\"value\"],\"values\":[[\"host\",\"a\"],[\"host\",\"b\"]]},{\"name\":\"net\",\"columns\":[\"key\",\"value\"],\"values\":[[\"host\",\"a,b\"]]}]}"],
  ["t", "SHOW TAG VALUES WITH KEY = nosuch", "{\"statement_id\":0}"],
  ["t", "SHOW TAG VALUES FROM \"disk io\" WITH KEY = \"mount point\"", "{\"statement_id\":0,\"series\":[{\"name\":\"disk io\",\"columns\":[\"key\",\"value\"],\"values\":[[\"mount point\",\"/home\"],[\"mount point\",\"/var\"]]}]}"],
  ["t", "SHOW TAG VALUES WITH KEY = host WHERE host =~ /a/", "{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"columns\":[\"key\",\"value\"],\"values\":[[\"host\",\"a\"]]},{\"name\":\"mem\",\"columns\":[\"key\",\"value\"],\"values\":[[\"host\",\"a\"]]},{\"name\":\"net\",\"columns\":[\"key\",\"value\"],\"values\":[[\"host\",\"a,b\"]]}]}"],
  ["t", "SHOW TAG VALUES WITH KEY = region WHERE host = 'c'", "{\"statement_id\":0}"],
  ["t", "SHOW TAG VALUES WITH KEY = host WHERE _name = 'mem'", "{\"statement_id\":0,\"series\":[{\"name\":\"mem\",\"columns\":[\"key\",\"value\"],\"values\":[[\"host\",\"a\"],[\"host\",\"b\"]]}]}"],
  ["t", "SHOW TAG VALUES WITH KEY = host WHERE host = 1", "{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"columns\":[\"key\",\"value\"],\"values\":[[\"host\",\"a\"],[\"host\",\"b\"],[\"host\",\"c\"],[\"host\",\"e\"]]},{\"name\":\"disk io\",\"columns\":[\"key\",\"value\"],\"values\":[[\"host\",\"d\"]]},{\"name\":\"mem\",\"columns\":[\"key\",\"value\"],\"values\":[[\"host\",\"a\"],[\"host\",\"b\"]]},{\"name\":\"net\",\"columns\":[\"key\",\"value\"],\"values\":[[\"host\",\"a,b\"]]}]}"],
  ["t", "SHOW TAG VALUES FROM dup WITH KEY IN (x, y)", "{\"statement_id\":0,\"series\":[{\"name\":\"dup\",\"columns\":[\"key\",\"value\"],\"values\":[[\"x\",\"1\"],[\"x\",\"2\"],[\"y\",\"1\"]]}]}"],
  ["t", "SHOW TAG VALUES FROM net WITH KEY = zone", "{\"statement_id\":0,\"series\":[{\"name\":\"net\",\"columns\":[\"key\",\"value\"],\"values\":[[\"zone\",\"x=y\"]]}]}"],
  ["t", "SHOW TAG VALUES ON nosuchdb WITH KEY = host", "{\"statement_id\":0,\"error\":\"database not found: nosuchdb\"}"],
  ["t", "SHOW FIELD KEYS", "{\"statement_id\":0,\"series\":[{\"name\":\"Cpu\",\"columns\":[\"fieldKey\",\"fieldType\"],\"values\":[[\"v\",\"float\"]]},{\"name\":\"cpu\",\"columns\":[\"fieldKey\",\"fieldType\"],\"values\":[[\"b\",\"boolean\"],[\"i\",\"integer\"],[\"s\",\"string\"],[\"v\",\"float\"]]},{\"name\":\"disk io\",\"columns\":[\"fieldKey\",\"fieldType\"],\"values\":[[\"rate\",\"float\"]]},{\"name\":\"dup\",\"columns\":[\"fieldKey\",\"fieldType\"],\"values\":[[\"f\",\"float\"]]},{\"name\":\"events\",\"columns\":[\"fieldKey\",\"fieldType\"],\"values\":[[\"ok\",\"boolean\"],[\"value\",\"string\"]]},{\"name\":\"mem\",\"columns\":[\"fieldKey\",\"fieldType\"],\"values\":[[\"free\",\"float\"],[\"used\",\"integer\"]]},{\"name\":\"net\",\"columns\":[\"fieldKey\",\"fieldType\"],\"values\":[[\"rx\",\"integer\"]]}]}"],
  ["t", "SHOW FIELD KEYS FROM cpu", "{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"columns\":[\"fieldKey\",\"fieldType\"],\"values\":[[\"b\",\"boolean\"],[\"i\",\"integer\"],[\"s\",\"string\"],[\"v\",\"float\"]]}]}"],
  ["t", "SHOW FIELD KEYS FROM /e/", "{\"statement_id\":0,\"series\":[{\"name\":\"events\",\"columns\":[\"fieldKey\",\"fieldType\"],\"values\":[[\"ok\",\"boolean\"],[\"value\",\"string\"]]},{\"name\":\"mem\",\"columns\":[\"fieldKey\",\"fieldType\"],\"values\":[[\"free\",\"float\"],[\"used\",\"integer\"]]},{\"name\":\"net\",\"columns\":[\"fieldKey\",\"fieldType\"],\"values\":[[\"rx\",\"integer\"]]}]}"],
  ["t", "SHOW FIELD KEYS FROM nosuch", "{\"statement_id\":0}"],
  ["t", "SHOW FIELD KEYS LIMIT 1 OFFSET 1", "{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"columns\":[\"fieldKey\",\"fieldType\"],\"values\":[[\"i\",\"integer\"]]},{\"name\":\"events\",\"columns\":[\"fieldKey\",\"fieldType\"],\"values\":[[\"value\",\"string\"]]},{\"name\":\"mem\",\"columns\":[\"fieldKey\",\"fieldType\"],\"values\":[[\"used\",\"integer\"]]}]}"],
  ["t", "SHOW FIELD KEYS ON other", "{\"statement_id\":0,\"series\":[{\"name\":\"load\",\"columns\":[\"fieldKey\",\"fieldType\"],\"values\":[[\"v\",\"float\"]]}]}"],
  ["t", "SHOW FIELD KEYS FROM \"disk io\"", "{\"statement_id\":0,\"series\":[{\"name\":\"disk io\",\"columns\":[\"fieldKey\",\"fieldType\"],\"values\":[[\"rate\",\"float\"]]}]}"],
  [null, "SHOW FIELD KEYS", "{\"statement_id\":0,\"error\":\"database name required\"}"],
  ["t", "SHOW SERIES", "{\"statement_id\":0,\"series\":[{\"columns\":[\"key\"],\"values\":[[\"Cpu,Host=A\"],[\"cpu,host=a,region=us\"],[\"cpu,host=b,region=eu\"],[\"cpu,host=c\"],[\"cpu,host=e,region=ap\"],[\"disk\\\\ io,host=d,mount\\\\ point=/home\"],[\"disk\\\\ io,host=d,mount\\\\ point=/var\"],[\"dup,x=1,y=1\"],[\"dup,x=2,y=1\"],[\"events\"],[\"mem,host=a\"],[\"mem,host=b\"],[\"net,host=a\\\\,b,iface=eth\\\\ 0,zone=x\\\\=y\"]]}]}"],
  ["t", "SHOW SERIES FROM cpu", "{\"statement_id\":0,\"series\":[{\"columns\":[\"key\"],\"values\":[[\"cpu,host=a,region=us\"],[\"cpu,host=b,region=eu\"],[\"cpu,host=c\"],[\"cpu,host=e,region=ap\"]]}]}"],
  ["t", "SHOW SERIES FROM cpu WHERE host = 'a'", "{\"statement_id\":0,\"series\":[{\"columns\":[\"key\"],\"values\":[[\"cpu,host=a,region=us\"]]}]}"],
  ["t", "SHOW SERIES WHERE region =~ /u/", "{\"statement_id\":0,\"series\":[{\"columns\":[\"key\"],\"values\":[[\"cpu,host=a,region=us\"],[\"cpu,host=b,region=eu\"]]}]}"],
  ["t", "SHOW SERIES WHERE region !~ /u/", "{\"statement_id\":0,\"series\":[{\"columns\":[\"key\"],\"values\":[[\"Cpu,Host=A\"],[\"cpu,host=c\"],[\"cpu,host=e,region=ap\"],[\"disk\\\\ io,host=d,mount\\\\ point=/home\"],[\"disk\\\\ io,host=d,mount\\\\ point=/var\"],[\"dup,x=1,y=1\"],[\"dup,x=2,y=1\"],[\"events\"],[\"mem,host=a\"],[\"mem,host=b\"],[\"net,host=a\\\\,b,iface=eth\\\\ 0,zone=x\\\\=y\"]]}]}"],
  ["t", "SHOW SERIES WHERE host != 'a' AND _name != 'cpu'", "{\"statement_id\":0,\"series\":[{\"columns\":[\"key\"],\"values\":[[\"Cpu,Host=A\"],[\"disk\\\\ io,host=d,mount\\\\ point=/home\"],[\"disk\\\\ io,host=d,mount\\\\ point=/var\"],[\"dup,x=1,y=1\"],[\"dup,x=2,y=1\"],[\"events\"],[\"mem,host=b\"],[\"net,host=a\\\\,b,iface=eth\\\\ 0,zone=x\\\\=y\"]]}]}"],
  ["t", "SHOW SERIES LIMIT 2 OFFSET 3", "{\"statement_id\":0,\"series\":[{\"columns\":[\"key\"],\"values\":[[\"cpu,host=c\"],[\"cpu,host=e,region=ap\"]]}]}"],
  ["t", "SHOW SERIES WHERE v = 3", "{\"statement_id\":0,\"series\":[{\"columns\":[\"key\"],\"values\":[[\"Cpu,Host=A\"],[\"cpu,host=a,region=us\"],[\"cpu,host=b,region=eu\"],[\"cpu,host=c\"],[\"cpu,host=e,region=ap\"],[\"disk\\\\ io,host=d,mount\\\\ point=/home\"],[\"disk\\\\ io,host=d,mount\\\\ point=/var\"],[\"dup,x=1,y=1\"],[\"dup,x=2,y=1\"],[\"events\"],[\"mem,host=a\"],[\"mem,host=b\"],[\"net,host=a\\\\,b,iface=eth\\\\ 0,zone=x\\\\=y\"]]}]}"],
  ["t", "SHOW SERIES WHERE v > 3", "{\"statement_id\":0,\"error\":\"invalid tag comparison operator\"}"],
  ["t", "SHOW SERIES WHERE time > '2020-01-07T00:00:00Z' AND time < '2020-01-12T00:00:00Z'", "{\"statement_id\":0}"],
  ["t", "SHOW SERIES WHERE time > '2020-01-10T00:00:00Z'", "{\"statement_id\":0,\"series\":[{\"columns\":[\"key\"],\"values\":[[\"cpu,host=e,region=ap\"]]}]}"],
  ["t", "SHOW SERIES WHERE time < '2020-01-10T00:00:00Z' AND host = 'e'", "{\"statement_id\":0}"],
  ["t", "SHOW SERIES FROM nosuch", "{\"statement_id\":0}"],
  ["t", "SHOW SERIES FROM \"disk io\"", "{\"statement_id\":0,\"series\":[{\"columns\":[\"key\"],\"values\":[[\"disk\\\\ io,host=d,mount\\\\ point=/home\"],[\"disk\\\\ io,host=d,mount\\\\ point=/var\"]]}]}"],
  ["t", "SHOW SERIES ON other", "{\"statement_id\":0,\"series\":[{\"columns\":[\"key\"],\"values\":[[\"load,host=z\"]]}]}"],
  ["t", "SHOW MEASUREMENT CARDINALITY", "{\"statement_id\":0,\"series\":[{\"columns\":[\"cardinality estimation\"],\"values\":[[7]]}]}"],
  ["t", "SHOW MEASUREMENT EXACT CARDINALITY", "{\"statement_id\":0,\"series\":[{\"columns\":[\"count\"],\"values\":[[7]]}]}"],
  ["t", "SHOW MEASUREMENT EXACT CARDINALITY FROM cpu", "{\"statement_id\":0,\"series\":[{\"columns\":[\"count\"],\"values\":[[1]]}]}"],
  ["t", "SHOW MEASUREMENT EXACT CARDINALITY FROM nosuch", "{\"statement_id\":0}"],
  ["t", "SHOW MEASUREMENT EXACT CARDINALITY WHERE host = 'a'", "{\"statement_id\":0,\"series\":[{\"columns\":[\"count\"],\"values\":[[2]]}]}"],
  ["t", "SHOW MEASUREMENT CARDINALITY ON other", "{\"statement_id\":0,\"series\":[{\"columns\":[\"cardinality estimation\"],\"values\":[[1]]}]}"],
  ["nosuchdb", "SHOW MEASUREMENT CARDINALITY", "{\"statement_id\":0,\"series\":[{\"columns\":[\"cardinality estimation\"],\"values\":[[0]]}]}"],
  ["t", "SHOW SERIES CARDINALITY", "{\"statement_id\":0,\"series\":[{\"columns\":[\"cardinality estimation\"],\"values\":[[13]]}]}"],
  ["t", "SHOW SERIES EXACT CARDINALITY", "{\"statement_id\":0,\"series\":[{\"name\":\"Cpu\",\"columns\":[\"count\"],\"values\":[[1]]},{\"name\":\"cpu\",\"columns\":[\"count\"],\"values\":[[4]]},{\"name\":\"disk io\",\"columns\":[\"count\"],\"values\":[[2]]},{\"name\":\"dup\",\"columns\":[\"count\"],\"values\":[[2]]},{\"name\":\"events\",\"columns\":[\"count\"],\"values\":[[1]]},{\"name\":\"mem\",\"columns\":[\"count\"],\"values\":[[2]]},{\"name\":\"net\",\"columns\":[\"count\"],\"values\":[[1]]}]}"],
  ["t", "SHOW SERIES EXACT CARDINALITY FROM cpu", "{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"columns\":[\"count\"],\"values\":[[4]]}]}"],
  ["t", "SHOW SERIES EXACT CARDINALITY WHERE host = 'a'", "{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"columns\":[\"count\"],\"values\":[[1]]},{\"name\":\"mem\",\"columns\":[\"count\"],\"values\":[[1]]}]}"],
  ["t", "SHOW SERIES CARDINALITY FROM cpu", "{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"columns\":[\"count\"],\"values\":[[4]]}]}"],
  ["t", "SHOW SERIES EXACT CARDINALITY LIMIT 2 OFFSET 1", "{\"statement_id\":0}"],
  ["nosuchdb", "SHOW SERIES CARDINALITY", "{\"statement_id\":0,\"series\":[{\"columns\":[\"cardinality estimation\"],\"values\":[[0]]}]}"],
  ["nosuchdb", "SHOW SERIES EXACT CARDINALITY", "{\"statement_id\":0,\"error\":\"database not found: nosuchdb\"}"],
  ["t", "SHOW TAG KEY CARDINALITY", "{\"statement_id\":0,\"series\":[{\"name\":\"Cpu\",\"columns\":[\"count\"],\"values\":[[1]]},{\"name\":\"cpu\",\"columns\":[\"count\"],\"values\":[[2]]},{\"name\":\"disk io\",\"columns\":[\"count\"],\"values\":[[2]]},{\"name\":\"dup\",\"columns\":[\"count\"],\"values\":[[2]]},{\"name\":\"mem\",\"columns\":[\"count\"],\"values\":[[1]]},{\"name\":\"net\",\"columns\":[\"count\"],\"values\":[[3]]}]}"],
  ["t", "SHOW TAG KEY EXACT CARDINALITY", "{\"statement_id\":0,\"series\":[{\"name\":\"Cpu\",\"columns\":[\"count\"],\"values\":[[1]]},{\"name\":\"cpu\",\"columns\":[\"count\"],\"values\":[[2]]},{\"name\":\"disk io\",\"columns\":[\"count\"],\"values\":[[2]]},{\"name\":\"dup\",\"columns\":[\"count\"],\"values\":[[2]]},{\"name\":\"mem\",\"columns\":[\"count\"],\"values\":[[1]]},{\"name\":\"net\",\"columns\":[\"count\"],\"values\":[[3]]}]}"],
  ["t", "SHOW TAG KEY CARDINALITY FROM cpu", "{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"columns\":[\"count\"],\"values\":[[2]]}]}"],
  ["t", "SHOW TAG KEY EXACT CARDINALITY FROM events", "{\"statement_id\":0}"],
  ["t", "SHOW TAG VALUES CARDINALITY WITH KEY = host", "{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"columns\":[\"count\"],\"values\":[[4]]},{\"name\":\"disk io\",\"columns\":[\"count\"],\"values\":[[1]]},{\"name\":\"mem\",\"columns\":[\"count\"],\"values\":[[2]]},{\"name\":\"net\",\"columns\":[\"count\"],\"values\":[[1]]}]}"],
  ["t", "SHOW TAG VALUES EXACT CARDINALITY WITH KEY = host", "{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"columns\":[\"count\"],\"values\":[[4]]},{\"name\":\"disk io\",\"columns\":[\"count\"],\"values\":[[1]]},{\"name\":\"mem\",\"columns\":[\"count\"],\"values\":[[2]]},{\"name\":\"net\",\"columns\":[\"count\"],\"values\":[[1]]}]}"],
  ["t", "SHOW TAG VALUES EXACT CARDINALITY FROM cpu WITH KEY IN (host, region)", "{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"columns\":[\"count\"],\"values\":[[7]]}]}"],
  ["t", "SHOW TAG VALUES EXACT CARDINALITY FROM dup WITH KEY IN (x, y)", "{\"statement_id\":0,\"series\":[{\"name\":\"dup\",\"columns\":[\"count\"],\"values\":[[2]]}]}"],
  ["t", "SHOW TAG VALUES CARDINALITY WITH KEY = nosuch", "{\"statement_id\":0}"],
  ["t", "SHOW FIELD KEY CARDINALITY", "{\"statement_id\":0,\"series\":[{\"name\":\"Cpu\",\"columns\":[\"count\"],\"values\":[[1]]},{\"name\":\"cpu\",\"columns\":[\"count\"],\"values\":[[4]]},{\"name\":\"disk io\",\"columns\":[\"count\"],\"values\":[[1]]},{\"name\":\"dup\",\"columns\":[\"count\"],\"values\":[[1]]},{\"name\":\"events\",\"columns\":[\"count\"],\"values\":[[2]]},{\"name\":\"mem\",\"columns\":[\"count\"],\"values\":[[2]]},{\"name\":\"net\",\"columns\":[\"count\"],\"values\":[[1]]}]}"],
  ["t", "SHOW FIELD KEY EXACT CARDINALITY", "{\"statement_id\":0,\"series\":[{\"name\":\"Cpu\",\"columns\":[\"count\"],\"values\":[[1]]},{\"name\":\"cpu\",\"columns\":[\"count\"],\"values\":[[4]]},{\"name\":\"disk io\",\"columns\":[\"count\"],\"values\":[[1]]},{\"name\":\"dup\",\"columns\":[\"count\"],\"values\":[[1]]},{\"name\":\"events\",\"columns\":[\"count\"],\"values\":[[2]]},{\"name\":\"mem\",\"columns\":[\"count\"],\"values\":[[2]]},{\"name\":\"net\",\"columns\":[\"count\"],\"values\":[[1]]}]}"],
  ["t", "SHOW FIELD KEY EXACT CARDINALITY FROM cpu", "{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"columns\":[\"count\"],\"values\":[[4]]}]}"],
  ["t", "SHOW FIELD KEY CARDINALITY FROM nosuch", "{\"statement_id\":0}"],
  ["t", "SHOW MEASUREMENT EXACT CARDINALITY WHERE time > now() - 1h", "{\"statement_id\":0,\"error\":\"SHOW MEASUREMENT EXACT CARDINALITY doesn't support time in WHERE clause\"}"],
  ["t", "SHOW TAG KEY EXACT CARDINALITY WHERE time > now() - 1h", "{\"statement_id\":0,\"error\":\"SHOW TAG KEY EXACT CARDINALITY doesn't support time in WHERE clause\"}"],
  ["t", "SHOW FIELD KEY EXACT CARDINALITY WHERE time > now() - 1h", "{\"statement_id\":0,\"error\":\"SHOW FIELD KEY CARDINALITY doesn't support time in WHERE clause\"}"],
  ["t", "SHOW SERIES CARDINALITY WHERE time > now() - 1h", "{\"statement_id\":0,\"error\":\"SHOW SERIES EXACT CARDINALITY doesn't support time in WHERE clause\"}"],
  ["t", "SHOW TAG VALUES EXACT CARDINALITY WITH KEY = host WHERE time > now() - 1h", "{\"statement_id\":0}"],
  [null, "SHOW SERIES EXACT CARDINALITY", "{\"statement_id\":0,\"error\":\"database name required\"}"],
  [null, "SHOW MEASUREMENT CARDINALITY", "{\"statement_id\":0,\"error\":\"database name required\"}"],
  ["t", "SHOW MEASUREMENT EXACT CARDINALITY WHERE host != 'a'", "{\"statement_id\":0,\"series\":[{\"columns\":[\"count\"],\"values\":[[7]]}]}"],
  ["t", "SHOW MEASUREMENT EXACT CARDINALITY WHERE host !~ /^[ab]/", "{\"statement_id\":0,\"series\":[{\"columns\":[\"count\"],\"values\":[[5]]}]}"],
  ["t", "SHOW MEASUREMENT EXACT CARDINALITY WHERE region = ''", "{\"statement_id\":0,\"series\":[{\"columns\":[\"count\"],\"values\":[[7]]}]}"],
  ["t", "SHOW MEASUREMENT EXACT CARDINALITY WHERE host = 'a' AND region = 'eu'", "{\"statement_id\":0}"],
  ["t", "SHOW MEASUREMENT EXACT CARDINALITY WHERE v = 3", "{\"statement_id\":0}"],
  ["t", "SHOW MEASUREMENT EXACT CARDINALITY FROM /c/ WHERE host != 'zz'", "{\"statement_id\":0,\"series\":[{\"columns\":[\"count\"],\"values\":[[1]]}]}"],
  ["t", "SHOW MEASUREMENT CARDINALITY WHERE host = 'a'", "{\"statement_id\":0,\"series\":[{\"columns\":[\"count\"],\"values\":[[2]]}]}"],
  ["t", "SHOW FIELD KEY EXACT CARDINALITY WHERE host = 'a'", "{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"columns\":[\"count\"],\"values\":[[4]]},{\"name\":\"mem\",\"columns\":[\"count\"],\"values\":[[2]]}]}"],
  ["t", "SHOW FIELD KEY EXACT CARDINALITY WHERE host != 'a'", "{\"statement_id\":0,\"series\":[{\"name\":\"Cpu\",\"columns\":[\"count\"],\"values\":[[1]]},{\"name\":\"cpu\",\"columns\":[\"count\"],\"values\":[[4]]},{\"name\":\"disk io\",\"columns\":[\"count\"],\"values\":[[1]]},{\"name\":\"dup\",\"columns\":[\"count\"],\"values\":[[1]]},{\"name\":\"events\",\"columns\":[\"count\"],\"values\":[[2]]},{\"name\":\"mem\",\"columns\":[\"count\"],\"values\":[[2]]},{\"name\":\"net\",\"columns\":[\"count\"],\"values\":[[1]]}]}"],
  ["t", "SHOW FIELD KEY EXACT CARDINALITY FROM cpu WHERE host = 'zz'", "{\"statement_id\":0}"],
  ["t", "SHOW FIELD KEY EXACT CARDINALITY FROM cpu, mem WHERE iface =~ /0/", "{\"statement_id\":0}"],
  ["t", "SHOW SERIES EXACT CARDINALITY WHERE host != 'a'", "{\"statement_id\":0,\"series\":[{\"name\":\"Cpu\",\"columns\":[\"count\"],\"values\":[[1]]},{\"name\":\"cpu\",\"columns\":[\"count\"],\"values\":[[3]]},{\"name\":\"disk io\",\"columns\":[\"count\"],\"values\":[[2]]},{\"name\":\"dup\",\"columns\":[\"count\"],\"values\":[[2]]},{\"name\":\"events\",\"columns\":[\"count\"],\"values\":[[1]]},{\"name\":\"mem\",\"columns\":[\"count\"],\"values\":[[1]]},{\"name\":\"net\",\"columns\":[\"count\"],\"values\":[[1]]}]}"],
  ["t", "SHOW TAG KEY EXACT CARDINALITY WHERE host != 'a'", "{\"statement_id\":0,\"series\":[{\"name\":\"Cpu\",\"columns\":[\"count\"],\"values\":[[1]]},{\"name\":\"cpu\",\"columns\":[\"count\"],\"values\":[[2]]},{\"name\":\"disk io\",\"columns\":[\"count\"],\"values\":[[2]]},{\"name\":\"dup\",\"columns\":[\"count\"],\"values\":[[2]]},{\"name\":\"mem\",\"columns\":[\"count\"],\"values\":[[1]]},{\"name\":\"net\",\"columns\":[\"count\"],\"values\":[[3]]}]}"],
  ["t", "SHOW TAG VALUES EXACT CARDINALITY WITH KEY = host WHERE host != 'a'", "{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"columns\":[\"count\"],\"values\":[[3]]},{\"name\":\"disk io\",\"columns\":[\"count\"],\"values\":[[1]]},{\"name\":\"mem\",\"columns\":[\"count\"],\"values\":[[1]]},{\"name\":\"net\",\"columns\":[\"count\"],\"values\":[[1]]}]}"],
  ["t", "SHOW SERIES FROM t..cpu", "{\"statement_id\":0,\"series\":[{\"columns\":[\"key\"],\"values\":[[\"cpu,host=a,region=us\"],[\"cpu,host=b,region=eu\"],[\"cpu,host=c\"],[\"cpu,host=e,region=ap\"]]}]}"],
  ["t", "SHOW TAG KEYS WHERE host =~ /(?i)A/", "{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"columns\":[\"tagKey\"],\"values\":[[\"host\"],[\"region\"]]},{\"name\":\"mem\",\"columns\":[\"tagKey\"],\"values\":[[\"host\"]]},{\"name\":\"net\",\"columns\":[\"tagKey\"],\"values\":[[\"host\"],[\"iface\"],[\"zone\"]]}]}"],
  ["t", "SHOW SERIES WHERE time > 0", "{\"statement_id\":0,\"series\":[{\"columns\":[\"key\"],\"values\":[[\"Cpu,Host=A\"],[\"cpu,host=a,region=us\"],[\"cpu,host=b,region=eu\"],[\"cpu,host=c\"],[\"cpu,host=e,region=ap\"],[\"disk\\\\ io,host=d,mount\\\\ point=/home\"],[\"disk\\\\ io,host=d,mount\\\\ point=/var\"],[\"dup,x=1,y=1\"],[\"dup,x=2,y=1\"],[\"events\"],[\"mem,host=a\"],[\"mem,host=b\"],[\"net,host=a\\\\,b,iface=eth\\\\ 0,zone=x\\\\=y\"]]}]}"],
  ["t", "SHOW TAG VALUES WITH KEY = \"host\" WHERE time > now() - 100000d", "{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"columns\":[\"key\",\"value\"],\"values\":[[\"host\",\"a\"],[\"host\",\"b\"],[\"host\",\"c\"],[\"host\",\"e\"]]},{\"name\":\"disk io\",\"columns\":[\"key\",\"value\"],\"values\":[[\"host\",\"d\"]]},{\"name\":\"mem\",\"columns\":[\"key\",\"value\"],\"values\":[[\"host\",\"a\"],[\"host\",\"b\"]]},{\"name\":\"net\",\"columns\":[\"key\",\"value\"],\"values\":[[\"host\",\"a,b\"]]}]}"],
  ["t", "SHOW TAG VALUES FROM cpu WITH KEY = host WHERE (region = 'us' OR region = 'eu') AND host != 'a'", "{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"columns\":[\"key\",\"value\"],\"values\":[[\"host\",\"b\"]]}]}"],
  ["t", "SHOW TAG KEYS FROM dup WHERE x = '2'", "{\"statement_id\":0,\"series\":[{\"name\":\"dup\",\"columns\":[\"tagKey\"],\"values\":[[\"x\"],[\"y\"]]}]}"],
  ["t", "SHOW SERIES FROM /^(cpu|mem)$/ WHERE host =~ /^[ab]$/ LIMIT 3", "{\"statement_id\":0,\"series\":[{\"columns\":[\"key\"],\"values\":[[\"cpu,host=a,region=us\"],[\"cpu,host=b,region=eu\"],[\"mem,host=a\"]]}]}"],
  ["other", "SHOW TAG VALUES WITH KEY = host", "{\"statement_id\":0,\"series\":[{\"name\":\"load\",\"columns\":[\"key\",\"value\"],\"values\":[[\"host\",\"z\"]]}]}"],
];

let env: Awaited<ReturnType<typeof tempDatabase>>;
let influxql: InfluxQLEnvironment;

before(async () => {
  env = await tempDatabase();
  await env.db.writer.writeLp('t', Buffer.from(META_DATA), { precision: 'ns' });
  await env.db.writer.writeLp('other', Buffer.from(OTHER_DATA), { precision: 'ns' });
  influxql = environmentOf(env.db);
});

after(async () => {
  await env.cleanup();
});

async function answer(db: string | null, q: string): Promise<string[]> {
  const out: string[] = [];
  for await (const r of runInfluxQL(influxql, q, db === null ? {} : { database: db })) out.push(influxJson(r));
  return out;
}

for (const [db, q, want] of EXAMPLES) {
  test(`${q}${db === null ? ' (no db)' : db === 't' ? '' : ` (db=${db})`} answers as InfluxDB 1.6`, async () => {
    assert.deepEqual(await answer(db, q), [want]);
  });
}

test('the same answers come back once the data is in Parquet (after a snapshot)', async () => {
  const before = await Promise.all(EXAMPLES.map(([db, q]) => answer(db, q)));
  await env.db.snapshotNow();
  const afterSnapshot = await Promise.all(EXAMPLES.map(([db, q]) => answer(db, q)));
  assert.deepEqual(afterSnapshot, before);
});

test('a bound parameter in a SHOW condition is a tag value (influxd, params={"h":"a"})', async () => {
  const got: string[] = [];
  for await (const r of runInfluxQL(influxql, 'SHOW TAG VALUES WITH KEY = host WHERE host = $h', { database: 't', params: { h: 'a' } })) got.push(influxJson(r));
  assert.deepEqual(got, ['{"statement_id":0,"series":[{"name":"cpu","columns":["key","value"],"values":[["host","a"]]},{"name":"mem","columns":["key","value"],"values":[["host","a"]]}]}']);
});
