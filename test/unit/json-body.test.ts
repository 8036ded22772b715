import { describe, expect, it } from 'vitest';
import { duplicateMemberName } from '../../src/http/json-body.ts';

describe('duplicate member names in a JSON body', () => {
  it.each([
    ['{"a":1,"a":2}', 'a'],
    ['{"a":1,"b":{"c":1,"c":2}}', 'c'],
    ['[{"x":1},{"y":1,"y":[]}]', 'y'],
    // Names are compared as JSON.parse reads them: an escape is the same name.
    ['{"name":"x","n\\u0061me":"y"}', 'name'],
    ['{"a":{"b":1},"a":{"b":1}}', 'a'],
  ])('%s repeats %s', (text, name) => {
    expect(duplicateMemberName(text)).toBe(name);
  });

  it.each([
    '{"a":1,"b":2}',
    // The same name in sibling or nested objects is no repeat; nor is a value that looks like a name.
    '{"a":{"a":1},"b":{"a":2}}',
    '[{"a":1},{"a":2}]',
    '{"a":"b","b":"a"}',
    '{"a":"\\",\\"a\\":","b":1}',
    '{"list":["a","a"],"x":{}}',
    '{}',
    '"a"',
  ])('%s has none', (text) => {
    expect(duplicateMemberName(text)).toBeUndefined();
  });
});
