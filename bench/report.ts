/**
 * Turning raw client output into figures, ratios, target verdicts and the text table.
 */
import type { ClientResult } from './client.js';
import { type Spread, spread } from './lib/stats.js';
import type { Stack } from './stacks.js';

/** Summary is one stack's figures: medians with min–max over repetitions. */
export interface Summary {
  readonly seq?: Spread;
  readonly p50Us?: Spread;
  readonly p99Us?: Spread;
  readonly in64?: Spread;
  readonly c16?: Spread;
  /** Server CPU µs per call with 64 in flight. */
  readonly cpuUs?: Spread;
  /** Server CPU µs per call, one call at a time. */
  readonly seqCpuUs?: Spread;
  readonly clientCpuUs?: Spread;
  readonly echoUs: Record<string, Spread>;
  /** Server RSS per idle TCP connection, in KiB. */
  rssPerConnKiB?: number;
}

/** summarise reduces one client's raw result. */
export function summarise(r: ClientResult): Summary {
  const echoUs: Record<string, Spread> = {};
  for (const [size, runs] of Object.entries(r.echoUs ?? {})) echoUs[size] = spread(runs);
  return {
    seq: r.sequential && spread(r.sequential.rate),
    p50Us: r.sequential && spread(r.sequential.p50Us),
    p99Us: r.sequential && spread(r.sequential.p99Us),
    in64: r.inflight64 && spread(r.inflight64.rate),
    c16: r.c16x16 && spread(r.c16x16.rate),
    cpuUs: r.inflight64 && spread(r.inflight64.cpuUsPerCall),
    seqCpuUs: r.sequential?.cpuUsPerCall && spread(r.sequential.cpuUsPerCall),
    clientCpuUs: r.inflight64 && spread(r.inflight64.clientCpuUsPerCall ?? []),
    echoUs,
  };
}

/** Target is one of the goals (issues 7 and 12) with its measured ratio. */
export interface Target {
  readonly name: string;
  readonly measured: number;
  readonly op: '>=' | '<=';
  readonly want: number;
  /** null when a figure it needs is missing. */
  readonly pass: boolean | null;
}

type Figures = Readonly<Record<string, Summary | undefined>>;

const ratio = (a: number | undefined, b: number | undefined): number =>
  a === undefined || b === undefined ? Number.NaN : a / b;

/**
 * The server CPU comparison of issue 12: the same client (jayson's TCP client, which
 * opens a connection per call) against our JSON-RPC/TCP server and against jayson's.
 */
const CPU_TARGET = { ours: 'jayson-tcp>polyrpc', reference: 'jayson-tcp', want: 1 } as const;
const CPU_TARGET_NAME =
  'polyrpc server CPU/call ÷ jayson server CPU/call (jayson TCP client, connection per call)';

/**
 * The WebSocket targets of issue 13: 64 in flight on one connection, against the
 * same protocol over TCP.
 */
function webSocketTargets(
  s: Figures,
  t: (name: string, measured: number, op: Target['op'], want: number) => Target,
): Target[] {
  const in64 = (id: string) => s[id]?.in64?.median;
  return [
    t(
      'JSON-RPC/WebSocket 64 in flight ÷ JSON-RPC/TCP',
      ratio(in64('jsonrpc-ws'), in64('jsonrpc-tcp')),
      '>=',
      0.8,
    ),
    t('msgpack/WebSocket 64 in flight ÷ msgpack/TCP', ratio(in64('msgpack-ws'), in64('msgpack')), '>=', 0.8),
  ];
}

/** targets computes every target of issues 7, 12 and 13 from the summaries. */
export function targets(s: Figures): Target[] {
  const t = (name: string, measured: number, op: Target['op'], want: number): Target => ({
    name,
    measured,
    op,
    want,
    pass: Number.isFinite(measured) ? (op === '>=' ? measured >= want : measured <= want) : null,
  });
  const in64 = (id: string) => s[id]?.in64?.median;
  const seq = (id: string) => s[id]?.seq?.median;
  const mb = (id: string) => s[id]?.echoUs['1048576']?.median;
  return [
    t('msgpack 64 in flight ÷ batched raw echo', ratio(in64('msgpack'), in64('raw-batched')), '>=', 0.45),
    t('msgpack sequential ÷ raw echo', ratio(seq('msgpack'), seq('raw')), '>=', 0.9),
    // Issue 17: what metrics cost (the default `msgpack` stack has them on).
    t(
      'msgpack 64 in flight, metrics on ÷ off',
      ratio(in64('msgpack'), in64('msgpack-nometrics')),
      '>=',
      0.95,
    ),
    // Issue 13: bare framing on the msgpack port.
    t(
      'bare msgpack-rpc 64 in flight ÷ length-prefixed',
      ratio(in64('msgpack-bare'), in64('msgpack')),
      '>=',
      0.9,
    ),
    t(
      'JSON-RPC/TCP 64 in flight ÷ batched raw echo',
      ratio(in64('jsonrpc-tcp'), in64('raw-batched')),
      '>=',
      0.35,
    ),
    t('JSON-RPC/TCP sequential ÷ raw echo', ratio(seq('jsonrpc-tcp'), seq('raw')), '>=', 0.9),
    t('JSON-RPC/TCP 64 in flight ÷ jayson TCP', ratio(in64('jsonrpc-tcp'), in64('jayson-tcp')), '>=', 20),
    t('XML-RPC 64 in flight ÷ npm xmlrpc', ratio(in64('xmlrpc'), in64('xmlrpc-npm')), '>=', 5),
    t('XML-RPC 64 in flight ÷ bare node:http', ratio(in64('xmlrpc'), in64('http-bare')), '>=', 0.8),
    t(
      'Python client: polyrpc ÷ Python server (sequential)',
      ratio(seq('python>polyrpc'), seq('python')),
      '>=',
      1,
    ),
    t('msgpack RSS per idle connection (KiB)', s.msgpack?.rssPerConnKiB ?? Number.NaN, '<=', 10),
    t('JSON-RPC/TCP RSS per idle connection (KiB)', s['jsonrpc-tcp']?.rssPerConnKiB ?? Number.NaN, '<=', 10),
    t('msgpack 1 MB echo time ÷ raw 1 MB echo', ratio(mb('msgpack'), mb('raw')), '<=', 2),
    t(
      `${CPU_TARGET_NAME}, 64 in flight`,
      ratio(s[CPU_TARGET.ours]?.cpuUs?.median, s[CPU_TARGET.reference]?.cpuUs?.median),
      '<=',
      CPU_TARGET.want,
    ),
    t(
      `${CPU_TARGET_NAME}, sequential`,
      ratio(s[CPU_TARGET.ours]?.seqCpuUs?.median, s[CPU_TARGET.reference]?.seqCpuUs?.median),
      '<=',
      CPU_TARGET.want,
    ),
    ...webSocketTargets(s, t),
    // Issue 14: TLS costs, and authentication costs nothing on a warm connection.
    t('msgpack/TLS 64 in flight ÷ msgpack/TCP', ratio(in64('msgpack-tls'), in64('msgpack')), '>=', 0.6),
    t('XML-RPC/HTTPS 64 in flight ÷ XML-RPC/HTTP', ratio(in64('xmlrpc-tls'), in64('xmlrpc')), '>=', 0.7),
    t(
      'msgpack with a token 64 in flight ÷ anonymous',
      ratio(in64('msgpack-auth'), in64('msgpack')),
      '>=',
      0.95,
    ),
    t(
      'XML-RPC with a token 64 in flight ÷ anonymous',
      ratio(in64('xmlrpc-auth'), in64('xmlrpc')),
      '>=',
      0.95,
    ),
  ];
}

/** peerOf names the stack a polyrpc stack is compared with. */
export const peerOf: Readonly<Record<string, string>> = {
  msgpack: 'grpc',
  'jsonrpc-tcp': 'jayson-tcp',
  'jsonrpc-http': 'jayson-http',
  xmlrpc: 'xmlrpc-npm',
  'jayson-tcp>polyrpc': 'jayson-tcp',
  'jayson-http>polyrpc': 'jayson-http',
  'xmlrpc-npm>polyrpc': 'xmlrpc-npm',
  'python>polyrpc': 'python',
  // WebSocket (issue 13)
  'jsonrpc-ws': 'jayson-ws',
  'jayson-ws>polyrpc': 'jayson-ws',
};

/** ServerCpu is one cross stack's server CPU per call, beside the same client against its own server. */
export interface ServerCpu {
  readonly stack: string;
  /** The stack with the same client against that client's own server. */
  readonly reference: string;
  readonly seqUs: number;
  readonly in64Us: number;
  readonly referenceSeqUs: number;
  readonly referenceIn64Us: number;
  /** Ours ÷ reference, one call at a time and with 64 in flight. */
  readonly seqRatio: number;
  readonly in64Ratio: number;
}

/** serverCpu lists the server CPU per call of every cross stack that was measured. */
export function serverCpu(list: readonly Stack[], s: Figures): ServerCpu[] {
  return list
    .filter((st) => st.group === 'cross' && s[st.id] !== undefined)
    .map((st) => {
      const reference = peerOf[st.id] ?? '';
      const f = s[st.id]!;
      const r = s[reference];
      return {
        stack: st.id,
        reference,
        seqUs: f.seqCpuUs?.median ?? Number.NaN,
        in64Us: f.cpuUs?.median ?? Number.NaN,
        referenceSeqUs: r?.seqCpuUs?.median ?? Number.NaN,
        referenceIn64Us: r?.cpuUs?.median ?? Number.NaN,
        seqRatio: ratio(f.seqCpuUs?.median, r?.seqCpuUs?.median),
        in64Ratio: ratio(f.cpuUs?.median, r?.cpuUs?.median),
      };
    });
}

function si(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '–';
  if (v >= 1e6) return `${(v / 1e6).toFixed(2)}M`;
  if (v >= 1e4) return `${(v / 1e3).toFixed(0)}k`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(1)}k`;
  if (v >= 100) return v.toFixed(0);
  return v.toFixed(1);
}

// "12k ±4%": the median and half the min–max range relative to it.
function withSpread(s: Spread | undefined): string {
  if (s === undefined || !Number.isFinite(s.median)) return '–';
  if (s.runs.length < 2) return si(s.median);
  const pm = ((s.max - s.min) / 2 / s.median) * 100;
  return `${si(s.median)} ±${pm.toFixed(0)}%`;
}

function x(v: number): string {
  return Number.isFinite(v) ? `${v >= 10 ? v.toFixed(0) : v.toFixed(2)}×` : '–';
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]): string =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** render returns the figures table, the ratios table and the targets. */
export function render(list: readonly Stack[], s: Figures, t: readonly Target[]): string {
  const floorOf = {
    tcp: ['raw', 'raw-batched'],
    http: ['http-bare', 'http-bare'],
    ws: ['ws-echo', 'ws-echo'],
  };
  const floorSeq = (st: Stack) => s[floorOf[st.floor][0]!]?.seq?.median;
  const floor64 = (st: Stack) => s[floorOf[st.floor][1]!]?.in64?.median;
  const figures = list
    .filter((st) => s[st.id] !== undefined)
    .map((st) => {
      const f = s[st.id]!;
      const e = (size: string, div = 1) => si((f.echoUs[size]?.median ?? Number.NaN) / div);
      return [
        st.label,
        withSpread(f.seq),
        si(f.p50Us?.median),
        si(f.p99Us?.median),
        withSpread(f.in64),
        withSpread(f.c16),
        si(f.seqCpuUs?.median),
        si(f.cpuUs?.median),
        si(f.clientCpuUs?.median),
        e('100'),
        e('10240'),
        e('1048576', 1000),
        f.rssPerConnKiB === undefined ? '' : f.rssPerConnKiB.toFixed(1),
      ];
    });
  const ratios = list
    .filter((st) => s[st.id] !== undefined && st.group !== 'floor')
    .map((st) => {
      const f = s[st.id]!;
      const peer = peerOf[st.id];
      const p = peer === undefined ? undefined : s[peer];
      return [
        st.label,
        x(ratio(f.seq?.median, floorSeq(st))),
        x(ratio(f.in64?.median, floor64(st))),
        peer === undefined ? '' : `${peer}`,
        peer === undefined ? '' : x(ratio(f.seq?.median, p?.seq?.median)),
        peer === undefined ? '' : x(ratio(f.in64?.median, p?.in64?.median)),
        peer === undefined ? '' : x(ratio(f.c16?.median, p?.c16?.median)),
      ];
    });
  const verdicts = t.map((v) => [
    v.name,
    Number.isFinite(v.measured) ? v.measured.toFixed(2) : '–',
    `${v.op} ${v.want}`,
    v.pass === null ? 'n/a' : v.pass ? 'pass' : 'MISS',
  ]);
  return [
    table(
      [
        'stack',
        'seq calls/s',
        'p50 µs',
        'p99 µs',
        '64 in flight/s',
        '16×16/s',
        'srv CPU µs/call seq',
        'srv CPU µs/call 64',
        'cli CPU µs/call 64',
        'echo 100B µs',
        '10KB µs',
        '1MB ms',
        'RSS KiB/idle conn',
      ],
      figures,
    ),
    '',
    'Ratios (floor: raw TCP echo — plain for sequential, batched for 64 in flight — bare node:http, or the bare ws echo):',
    table(['stack', 'seq ÷ floor', '64 ÷ floor', 'peer', 'seq ÷ peer', '64 ÷ peer', '16×16 ÷ peer'], ratios),
    '',
    'Server CPU per call, cross stacks (our server) beside the same client against its own server (reference):',
    table(
      ['stack', 'reference', 'seq µs', 'ref seq µs', 'seq ÷ ref', '64 µs', 'ref 64 µs', '64 ÷ ref'],
      serverCpu(list, s).map((c) => [
        c.stack,
        c.reference,
        si(c.seqUs),
        si(c.referenceSeqUs),
        x(c.seqRatio),
        si(c.in64Us),
        si(c.referenceIn64Us),
        x(c.in64Ratio),
      ]),
    ),
    '',
    'Targets (issues 7 and 12):',
    table(['target', 'measured', 'want', ''], verdicts),
  ].join('\n');
}
