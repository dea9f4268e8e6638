/**
 * A series' field template (the keys of its last line, matched byte for byte before any key is
 * read as a name): which lines match it, and when a line with fewer fields replaces it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineProtocolParser, type ParsedLine } from '../../src/lineprotocol/parser.js';

/** Each line's field keys and whether they were exactly its series' template. */
function templateHits(body: string): string[] {
  const out: string[] = [];
  new LineProtocolParser().parse(Buffer.from(body), {
    line(l: ParsedLine) {
      out.push(`${l.fieldKeys.slice(0, l.fieldCount).join(',')}${l.hasTemplateFields ? ' template' : ''}`);
    },
    error(e) {
      out.push(`error ${e.detail}`);
    },
  });
  return out;
}

test('a line with fewer fields between full ones keeps its series full template', () => {
  assert.deepEqual(templateHits('m,t=a f=1,g=2,h=3\nm,t=a f=1\nm,t=a f=1,g=2,h=3\nm,t=a f=1,g=2\nm,t=a f=1,g=2,h=3'), ['f,g,h template', 'f', 'f,g,h template', 'f,g', 'f,g,h template']);
});

test('two lines in a row with fewer fields make the second one the template', () => {
  assert.deepEqual(templateHits('m,t=a f=1,g=2\nm,t=a f=1\nm,t=a f=2\nm,t=a f=3\nm,t=a f=1,g=2'), ['f,g template', 'f', 'f template', 'f template', 'f,g template']);
});

test('a line with other or more keys becomes the template at once; escaped keys never do', () => {
  assert.deepEqual(templateHits('m f=1\nm g=1\nm g=1,h=2\nm g=1,h=2\nm a\\ b=1\nm a\\ b=1'), ['f template', 'g template', 'g,h template', 'g,h template', 'a b', 'a b']);
});
