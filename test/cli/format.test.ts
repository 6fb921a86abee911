// Output formatting and argument parsing, without processes.
import { describe, expect, it } from 'vitest';
import { milliseconds, parse, port, UsageError } from '../../src/cli/args.js';
import { parseArg, toJson } from '../../src/cli/format.js';

describe('toJson', () => {
  const cases: [string, unknown, string][] = [
    ['a number', 5, '5'],
    ['a string', 'Dalek', '"Dalek"'],
    ['null and undefined', [null, undefined], '[null,null]'],
    ['binary as base64', new Uint8Array([0, 1, 255]), '"AAH/"'],
    ['a date as ISO 8601', new Date(Date.UTC(2024, 0, 2, 3, 4, 5)), '"2024-01-02T03:04:05.000Z"'],
    ['a bigint with every digit', 2n ** 63n - 1n, '9223372036854775807'],
    ['non-finite numbers as null', [Number.NaN, Number.POSITIVE_INFINITY], '[null,null]'],
    ['a Map as an object', new Map<unknown, unknown>([[1, 'a']]), '{"1":"a"}'],
    ['nested values', { a: [1, { b: new Uint8Array([1]) }], c: {} }, '{"a":[1,{"b":"AQ=="}],"c":{}}'],
  ];
  it.each(cases)('renders %s', (_, value, json) => {
    expect(toJson(value, { indent: 0 })).toBe(json);
  });

  it('indents by two spaces by default and stays valid JSON', () => {
    const text = toJson({ a: [1, 2], b: { c: 'x' } });
    expect(text).toBe('{\n  "a": [\n    1,\n    2\n  ],\n  "b": {\n    "c": "x"\n  }\n}');
    expect(JSON.parse(text)).toEqual({ a: [1, 2], b: { c: 'x' } });
  });
});

describe('parseArg', () => {
  it('reads JSON when it parses, else the string', () => {
    expect(parseArg('3')).toBe(3);
    expect(parseArg('-2.5')).toBe(-2.5);
    expect(parseArg('true')).toBe(true);
    expect(parseArg('[1,"a"]')).toEqual([1, 'a']);
    expect(parseArg('"3"')).toBe('3');
    expect(parseArg('Time Lord')).toBe('Time Lord');
    expect(parseArg('{oops')).toBe('{oops');
  });
});

describe('parse', () => {
  const options = { timeout: { type: 'string' }, compact: { type: 'boolean' } } as const;

  it('keeps negative numbers as positionals, in order', () => {
    expect(parse(['url', 'add', '-3', '--compact', '-.5'], options)).toEqual({
      values: { compact: true },
      positionals: ['url', 'add', '-3', '-.5'],
    });
  });

  it('turns unknown flags and missing values into UsageError', () => {
    expect(() => parse(['--nope'], options)).toThrow(UsageError);
    expect(() => parse(['--nope'], options)).toThrow(/unknown option --nope/);
    expect(() => parse(['--timeout'], options)).toThrow(UsageError);
  });

  it('checks ports and durations', () => {
    expect(port('p', '0', 8000)).toBe(0);
    expect(port('p', undefined, 8000)).toBe(8000);
    expect(() => port('p', '65536', 1)).toThrow(/--p must be a port number/);
    expect(milliseconds('t', '2.5s')).toBe(2500);
    expect(milliseconds('t', '250ms')).toBe(250);
    expect(milliseconds('t', '3')).toBe(3000);
    expect(() => milliseconds('t', 'soon')).toThrow(UsageError);
  });
});
