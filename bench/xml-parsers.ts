/**
 * Micro-benchmark behind the XML-RPC parser choice (docs/xmlrpc.md): decode the same
 * methodCall documents to values with saxes (SAX, straight into values: the shipped
 * decoder) and with fast-xml-parser (a tree, then walked into values).
 *
 * Run: node --import tsx bench/xml-parsers.ts   (about 10 s)
 * fast-xml-parser is not a dependency any more; the second column needs
 * `npm install --no-save fast-xml-parser` first and is skipped without it.
 */
import { decodeCall, encodeCall } from '../src/transport/xmlrpc/codec.js';

const small = encodeCall('add', [3, 5]);
const medium = encodeCall('echo', [
  {
    name: 'Rassilon',
    species: 'Time Lord',
    regenerations: 12,
    ratio: 0.75,
    born: new Date(Date.UTC(1963, 10, 23)),
    tags: Array.from({ length: 20 }, (_, i) => `tag-${i} & <co>`),
    matrix: Array.from({ length: 10 }, (_, i) => [i, i * 1.5, i % 2 === 0]),
    blob: new Uint8Array(256).fill(7),
  },
]);
const large = encodeCall('echo', [
  Array.from({ length: 2000 }, (_, i) => ({ id: i, text: `message ${i}`, ok: true })),
]);

type Decode = (xml: string) => unknown;

// fast-xml-parser, walked into the same values (preserveOrder keeps member order and mixed content).
async function loadFxp(): Promise<Decode | undefined> {
  let mod: { XMLParser: new (o: object) => { parse(x: string): unknown } };
  try {
    mod = (await import(['fast-xml-parser'][0]!)) as typeof mod;
  } catch {
    return undefined;
  }
  const parser = new mod.XMLParser({
    ignoreAttributes: true,
    parseTagValue: false,
    trimValues: false,
    preserveOrder: true,
    ignoreDeclaration: true,
    processEntities: true,
  });
  type Node = Record<string, Node[] | string>;
  const text = (nodes: Node[]): string => nodes.map((n) => (n['#text'] as string) ?? '').join('');
  const child = (nodes: Node[]): [string, Node[]] | undefined => {
    for (const n of nodes) for (const k of Object.keys(n)) if (k !== '#text') return [k, n[k] as Node[]];
    return undefined;
  };
  const value = (nodes: Node[]): unknown => {
    const c = child(nodes);
    if (c === undefined) return text(nodes);
    const [tag, kids] = c;
    switch (tag) {
      case 'int':
      case 'i4':
      case 'i8':
      case 'double':
        return Number(text(kids));
      case 'boolean':
        return text(kids).trim() === '1';
      case 'string':
        return text(kids);
      case 'nil':
        return null;
      case 'dateTime.iso8601':
        return new Date(text(kids));
      case 'base64':
        return Buffer.from(text(kids), 'base64');
      case 'array':
        return (child(kids)?.[1] ?? []).filter((n) => 'value' in n).map((n) => value(n.value as Node[]));
      case 'struct': {
        const o: Record<string, unknown> = {};
        for (const m of kids) {
          const parts = m.member as Node[] | undefined;
          if (parts === undefined) continue;
          let name = '';
          let v: unknown;
          for (const p of parts) {
            if ('name' in p) name = text(p.name as Node[]);
            else if ('value' in p) v = value(p.value as Node[]);
          }
          o[name] = v;
        }
        return o;
      }
      default:
        throw new Error(`unknown type ${tag}`);
    }
  };
  return (xml) => {
    const doc = parser.parse(xml) as Node[];
    const call = doc.find((n) => 'methodCall' in n)?.methodCall as Node[];
    const params = call.find((n) => 'params' in n)?.params as Node[];
    return params.filter((n) => 'param' in n).map((n) => value(child(n.param as Node[])![1]));
  };
}

function measure(decode: Decode, xml: string, ms: number): number {
  for (let i = 0; i < 200; i++) decode(xml); // warm up
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 50; i++) decode(xml);
    n += 50;
    now = performance.now();
  }
  return (n * 1000) / (now - start);
}

const saxes: Decode = (xml) => decodeCall(xml, { maxDepth: 64 }).params;
const fxp = await loadFxp();
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US').padStart(10);
console.log(`${'document'.padEnd(22)}${'saxes ops/s'.padStart(14)}${'fxp ops/s'.padStart(14)}  ratio`);
for (const [name, xml] of [
  [`add(3,5) ${small.length} B`, small],
  [`struct ${medium.length} B`, medium],
  [`2000 structs ${(large.length / 1024).toFixed(0)} KiB`, large],
] as const) {
  const budget = name.startsWith('2000') ? 1500 : 1200;
  const a = measure(saxes, xml, budget);
  const b = fxp === undefined ? Number.NaN : measure(fxp, xml, budget);
  console.log(`${name.padEnd(22)}${fmt(a).padStart(14)}${fmt(b).padStart(14)}  ${(a / b).toFixed(2)}x`);
}
