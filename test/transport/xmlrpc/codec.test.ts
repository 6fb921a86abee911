import { describe, expect, it } from 'vitest';
import { Code, RpcError } from '../../../src/rpc/errors.js';
import {
  decodeCall,
  decodeResponse,
  encodeCall,
  encodeFault,
  encodeResult,
  encodeValue,
} from '../../../src/transport/xmlrpc/codec.js';

// Decodes one <value> fragment the way a server would see it as a call's only param.
function loads(fragment: string): unknown {
  const xml = `<?xml version="1.0"?><methodCall><methodName>m</methodName><params><param>${fragment}</param></params></methodCall>`;
  return decodeCall(xml).params[0];
}

function failure(fn: () => unknown): RpcError {
  try {
    fn();
  } catch (err) {
    if (err instanceof RpcError) return err;
    throw err;
  }
  throw new Error('expected an RpcError');
}

const date = new Date(Date.UTC(2024, 0, 2, 3, 4, 5));

// [wire fragment, value]: checked both ways (encode gives exactly the wire; decode gives the value).
const GOLDEN: [string, unknown][] = [
  ['<value><int>0</int></value>', 0],
  ['<value><int>-2147483648</int></value>', -2147483648],
  ['<value><int>2147483647</int></value>', 2147483647],
  ['<value><i8>2147483648</i8></value>', 2147483648],
  ['<value><i8>9007199254740991</i8></value>', Number.MAX_SAFE_INTEGER],
  ['<value><i8>9223372036854775807</i8></value>', 2n ** 63n - 1n],
  ['<value><i8>-9223372036854775808</i8></value>', -(2n ** 63n)],
  ['<value><double>1.5</double></value>', 1.5],
  ['<value><double>-0.1</double></value>', -0.1],
  ['<value><double>1e+100</double></value>', 1e100],
  ['<value><boolean>1</boolean></value>', true],
  ['<value><boolean>0</boolean></value>', false],
  ['<value><string></string></value>', ''],
  ['<value><string>Time Lord</string></value>', 'Time Lord'],
  ['<value><string>a &lt;b&gt; &amp; "c" \'d\'</string></value>', 'a <b> & "c" \'d\''],
  ['<value><string>line\n&#13;\nnext\ttab</string></value>', 'line\n\r\nnext\ttab'],
  ['<value><string>héllo ☃ 😀 中文</string></value>', 'héllo ☃ 😀 中文'],
  ['<value><nil/></value>', null],
  ['<value><dateTime.iso8601>20240102T03:04:05</dateTime.iso8601></value>', date],
  ['<value><base64>AAH/</base64></value>', new Uint8Array([0, 1, 255])],
  ['<value><base64></base64></value>', new Uint8Array(0)],
  ['<value><array><data></data></array></value>', []],
  [
    '<value><array><data><value><int>1</int></value><value><string>x</string></value><value><array><data><value><nil/></value></data></array></value></data></array></value>',
    [1, 'x', [null]],
  ],
  ['<value><struct></struct></value>', {}],
  [
    '<value><struct><member><name>a</name><value><int>1</int></value></member><member><name>b &amp; c</name><value><struct><member><name>d</name><value><boolean>0</boolean></value></member></struct></value></member></struct></value>',
    { a: 1, 'b & c': { d: false } },
  ],
];

describe('xmlrpc codec: golden values', () => {
  it.each(GOLDEN)('encodes and decodes %s', (wire, value) => {
    expect(encodeValue(value)).toBe(wire);
    expect(loads(wire)).toEqual(value);
  });
});

// Wire forms other peers send that we read but never write.
const LENIENT: [string, unknown][] = [
  ['<value>untyped</value>', 'untyped'],
  ['<value>  spaced  </value>', '  spaced  '],
  ['<value></value>', ''],
  ['<value/>', ''],
  ['<value><i4> 42 </i4></value>', 42],
  ['<value><int>+7</int></value>', 7],
  ['<value><int>5000000000</int></value>', 5000000000],
  ['<value><i8>12</i8></value>', 12],
  ['<value><ex:i8 xmlns:ex="http://ws.apache.org/xmlrpc/namespaces/extensions">3</ex:i8></value>', 3],
  ['<value><ex:nil xmlns:ex="http://ws.apache.org/xmlrpc/namespaces/extensions"/></value>', null],
  ['<value><boolean> 1 </boolean></value>', true],
  ['<value><double>3</double></value>', 3],
  ['<value><double>.5</double></value>', 0.5],
  ['<value><string>a<![CDATA[<b>&]]>c</string></value>', 'a<b>&c'],
  ['<value><string>a<!-- note -->b</string></value>', 'ab'],
  ['<value><string>&#x41;&#66;</string></value>', 'AB'],
  ['<value><dateTime.iso8601>2024-01-02T03:04:05</dateTime.iso8601></value>', date],
  ['<value><dateTime.iso8601>2024-01-02T03:04:05Z</dateTime.iso8601></value>', date],
  ['<value><dateTime.iso8601>2024-01-02T04:04:05+01:00</dateTime.iso8601></value>', date],
  [
    '<value><dateTime.iso8601>20240102T03:04:05.250</dateTime.iso8601></value>',
    new Date(date.getTime() + 250),
  ],
  ['<value><base64>\n  AAH/\n</base64></value>', new Uint8Array([0, 1, 255])],
  [
    '<value><struct><member><value><int>1</int></value><name>late</name></member></struct></value>',
    { late: 1 },
  ],
  [
    '<value>\n  <array>\n    <data>\n      <value><int>1</int></value>\n    </data>\n  </array>\n</value>',
    [1],
  ],
];

describe('xmlrpc codec: lenient reading', () => {
  it.each(LENIENT)('decodes %s', (wire, value) => {
    expect(loads(wire)).toEqual(value);
  });

  it('makes a member named __proto__ an own data property, never the prototype', () => {
    const v = loads(
      '<value><struct><member><name>__proto__</name><value><struct><member><name>polluted</name><value><boolean>1</boolean></value></member></struct></value></member></struct></value>',
    ) as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.keys(v)).toEqual(['__proto__']);
    expect((v as { polluted?: unknown }).polluted).toBeUndefined();
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it('reads a methodCall with no params and trims the method name', () => {
    expect(decodeCall('<methodCall><methodName>\n system.listMethods \n</methodName></methodCall>')).toEqual({
      method: 'system.listMethods',
      params: [],
    });
  });

  it('reads bytes with a BOM and a Latin-1 declaration', () => {
    const utf8 = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from(
        '<methodCall><methodName>m</methodName><params><param><value>é</value></param></params></methodCall>',
      ),
    ]);
    expect(decodeCall(utf8).params).toEqual(['é']);
    const latin1 = Buffer.from(
      '<?xml version="1.0" encoding="ISO-8859-1"?><methodCall><methodName>m</methodName><params><param><value>é</value></param></params></methodCall>',
      'latin1',
    );
    expect(decodeCall(latin1).params).toEqual(['é']);
  });
});

describe('xmlrpc codec: encoding', () => {
  it('maps JS numbers: int32 → int, larger safe integers → i8, everything else → double', () => {
    expect(encodeValue(-2147483649)).toBe('<value><i8>-2147483649</i8></value>');
    expect(encodeValue(2 ** 53)).toBe('<value><double>9007199254740992</double></value>');
    expect(encodeValue(0.1 + 0.2)).toBe(`<value><double>${0.1 + 0.2}</double></value>`);
  });

  it('refuses values with no XML-RPC form', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, 2n ** 63n, () => 1, Symbol('s'), 'nul\u0000']) {
      expect(() => encodeValue(bad)).toThrow(TypeError);
    }
    const cycle: unknown[] = [];
    cycle.push(cycle);
    expect(() => encodeValue(cycle)).toThrow(/nested too deeply/);
  });

  it('writes structs like JSON: own enumerable keys, undefined members left out; Buffer is base64', () => {
    expect(encodeValue({ a: undefined, b: null })).toBe(
      '<value><struct><member><name>b</name><value><nil/></value></member></struct></value>',
    );
    expect(encodeValue(Buffer.from('hi'))).toBe('<value><base64>aGk=</base64></value>');
  });

  it('round-trips a call, a result and a fault', () => {
    const params = [1, 'two', [3], { four: 4.5 }, date, null];
    expect(decodeCall(encodeCall('a.b', params))).toEqual({ method: 'a.b', params });
    expect(decodeResponse(encodeResult({ ok: [true] }))).toEqual({ ok: true, value: { ok: [true] } });
    const fault = decodeResponse(encodeFault(404, 'Unknown species: <x> & y'));
    expect(fault.ok).toBe(false);
    if (!fault.ok) {
      expect(fault.error).toBeInstanceOf(RpcError);
      expect(fault.error.code).toBe(404);
      expect(fault.error.message).toBe('Unknown species: <x> & y');
    }
  });
});

const call = (inner: string): string =>
  `<methodCall><methodName>m</methodName><params><param>${inner}</param></params></methodCall>`;

// [description, body, expected code]
const BAD: [string, string, number][] = [
  ['empty body', '', Code.ParseError],
  ['not XML', 'hello world', Code.ParseError],
  ['unclosed tag', '<methodCall><methodName>m</methodName>', Code.ParseError],
  ['undefined entity', '<methodCall><methodName>&nope;</methodName></methodCall>', Code.ParseError],
  ['NUL reference', '<methodCall><methodName>&#0;</methodName></methodCall>', Code.ParseError],
  ['not a methodCall', '<methodResponse><params/></methodResponse>', Code.InvalidRequest],
  ['other root', '<html><body/></html>', Code.InvalidRequest],
  ['no methodName', '<methodCall><params/></methodCall>', Code.InvalidRequest],
  [
    'DOCTYPE',
    '<!DOCTYPE methodCall><methodCall><methodName>m</methodName></methodCall>',
    Code.InvalidRequest,
  ],
  ['unknown value type', call('<value><float>1</float></value>'), Code.InvalidRequest],
  ['stray element', call('<value><struct><foo/></struct></value>'), Code.InvalidRequest],
  ['two values in a param', call('<value>a</value><value>b</value>'), Code.InvalidRequest],
  ['two items in a value', call('<value><int>1</int><int>2</int></value>'), Code.InvalidRequest],
  [
    'member without a name',
    call('<value><struct><member><value>1</value></member></struct></value>'),
    Code.InvalidRequest,
  ],
  ['int not a number', call('<value><int>forty-two</int></value>'), Code.InvalidParams],
  ['int with a fraction', call('<value><int>1.5</int></value>'), Code.InvalidParams],
  ['i8 beyond 64 bits', call('<value><i8>9223372036854775808</i8></value>'), Code.InvalidParams],
  ['NaN double', call('<value><double>NaN</double></value>'), Code.InvalidParams],
  ['infinite double', call('<value><double>1e999</double></value>'), Code.InvalidParams],
  ['bad boolean', call('<value><boolean>yes</boolean></value>'), Code.InvalidParams],
  ['bad date', call('<value><dateTime.iso8601>yesterday</dateTime.iso8601></value>'), Code.InvalidParams],
  [
    'impossible date',
    call('<value><dateTime.iso8601>20240231T00:00:00</dateTime.iso8601></value>'),
    Code.InvalidParams,
  ],
  ['bad base64', call('<value><base64>!!!!</base64></value>'), Code.InvalidParams],
  ['non-empty nil', call('<value><nil>x</nil></value>'), Code.InvalidParams],
];

describe('xmlrpc codec: bad input', () => {
  it.each(BAD)('%s', (_name, body, code) => {
    expect(failure(() => decodeCall(body)).code).toBe(code);
  });

  it('refuses a billion laughs at the DOCTYPE, before any entity exists', () => {
    const lol = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">${Array.from(
      { length: 9 },
      (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`,
    ).join('')}]><methodCall><methodName>&lol9;</methodName></methodCall>`;
    const err = failure(() => decodeCall(lol));
    expect(err.code).toBe(Code.InvalidRequest);
    expect(err.message).toMatch(/DOCTYPE/);
  });

  it('limits nesting with a counter: 10,000 deep is a fault, not a stack overflow', () => {
    const n = 10_000;
    const deep = call(
      `<value>${'<array><data><value>'.repeat(n)}</value>${'</data></array></value>'.repeat(n)}`,
    );
    const err = failure(() => decodeCall(deep, { maxDepth: 64 }));
    expect(err.code).toBe(Code.LimitExceeded);
    const ok = call(
      `<value>${'<array><data><value>'.repeat(3)}x</value>${'</data></array></value>'.repeat(3)}`,
    );
    expect(decodeCall(ok, { maxDepth: 3 }).params).toEqual([[[['x']]]]);
    expect(failure(() => decodeCall(ok, { maxDepth: 2 })).code).toBe(Code.LimitExceeded);
  });

  it('decodes correctly after a failure (the shared parser starts clean)', () => {
    failure(() => decodeCall('<methodCall><methodName>m</methodName><params><param><value><array>'));
    expect(decodeCall(call('<value><int>1</int></value>')).params).toEqual([1]);
  });

  it('rejects malformed responses', () => {
    expect(failure(() => decodeResponse('<methodResponse><params></params></methodResponse>')).code).toBe(
      Code.InvalidRequest,
    );
    expect(failure(() => decodeResponse(call('<value>x</value>'))).code).toBe(Code.InvalidRequest);
    const noCode =
      '<methodResponse><fault><value><struct><member><name>faultString</name><value>x</value></member></struct></value></fault></methodResponse>';
    expect(failure(() => decodeResponse(noCode)).code).toBe(Code.InvalidRequest);
  });
});
