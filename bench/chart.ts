/**
 * The SVG chart (docs/bench.svg): calls/s with 64 in flight and sequential, on a
 * log scale, and each target as measured ÷ wanted. A hand-written SVG string.
 */
import type { Summary, Target } from './report.js';
import type { Group, Stack } from './stacks.js';

const COLORS: Record<Group, string> = {
  polyrpc: '#2563eb',
  peer: '#f59e0b',
  cross: '#a78bfa',
  floor: '#6b7280',
};
const W = 920;
const LABEL = 230;
const BAR = 560;
const ROW = 18;

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function fmt(v: number): string {
  if (v >= 1e6) return `${(v / 1e6).toFixed(2)}M`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(v >= 1e4 ? 0 : 1)}k`;
  return v.toFixed(0);
}

interface Row {
  readonly label: string;
  readonly value: number;
  readonly color: string;
  readonly text: string;
}

function logPanel(title: string, rows: readonly Row[], y0: number): { svg: string; height: number } {
  const lo = 2; // 100 calls/s
  const hi = Math.max(6, Math.ceil(Math.log10(Math.max(...rows.map((r) => r.value), 10))));
  const xOf = (v: number): number => LABEL + ((Math.log10(Math.max(v, 10 ** lo)) - lo) / (hi - lo)) * BAR;
  const parts = [`<text x="10" y="${y0 + 16}" class="t">${esc(title)}</text>`];
  const top = y0 + 26;
  for (let e = lo; e <= hi; e++) {
    const gx = xOf(10 ** e);
    parts.push(`<line x1="${gx}" y1="${top}" x2="${gx}" y2="${top + rows.length * ROW}" class="g"/>`);
    parts.push(`<text x="${gx}" y="${top + rows.length * ROW + 12}" class="a">${fmt(10 ** e)}</text>`);
  }
  rows.forEach((r, i) => {
    const y = top + i * ROW;
    parts.push(`<text x="${LABEL - 6}" y="${y + 13}" class="l">${esc(r.label)}</text>`);
    if (Number.isFinite(r.value)) {
      const w = Math.max(1, xOf(r.value) - LABEL);
      parts.push(
        `<rect x="${LABEL}" y="${y + 3}" width="${w.toFixed(1)}" height="${ROW - 6}" fill="${r.color}"/>`,
      );
      parts.push(`<text x="${LABEL + w + 4}" y="${y + 13}" class="v">${esc(r.text)}</text>`);
    }
  });
  return { svg: parts.join('\n'), height: 26 + rows.length * ROW + 22 };
}

function targetPanel(list: readonly Target[], y0: number): { svg: string; height: number } {
  const max = 3;
  const xOf = (v: number): number => LABEL + 90 + (Math.min(v, max) / max) * (BAR - 90);
  const parts = [`<text x="10" y="${y0 + 16}" class="t">Targets: measured ÷ wanted (≥ 1 passes)</text>`];
  const top = y0 + 26;
  const one = xOf(1).toFixed(1);
  list.forEach((t, i) => {
    const y = top + i * ROW;
    const score = t.op === '>=' ? t.measured / t.want : t.want / t.measured;
    parts.push(`<text x="${LABEL + 84}" y="${y + 13}" class="l">${esc(t.name)}</text>`);
    if (Number.isFinite(score)) {
      const color = score >= 1 ? '#16a34a' : '#dc2626';
      const w = Math.max(1, xOf(score) - xOf(0));
      parts.push(
        `<rect x="${xOf(0)}" y="${y + 3}" width="${w.toFixed(1)}" height="${ROW - 6}" fill="${color}"/>`,
      );
      parts.push(
        `<text x="${(xOf(0) + w + 4).toFixed(1)}" y="${y + 13}" class="v">${t.measured.toFixed(2)} (want ${t.op === '>=' ? '≥' : '≤'} ${t.want})</text>`,
      );
    } else parts.push(`<text x="${xOf(0) + 4}" y="${y + 13}" class="v">not measured</text>`);
  });
  parts.push(`<line x1="${one}" y1="${top}" x2="${one}" y2="${top + list.length * ROW}" class="one"/>`);
  return { svg: parts.join('\n'), height: 26 + list.length * ROW + 10 };
}

/** chart renders the SVG document. */
export function chart(
  list: readonly Stack[],
  s: Readonly<Record<string, Summary | undefined>>,
  t: readonly Target[],
  caption: string,
): string {
  const measured = list.filter((st) => s[st.id] !== undefined);
  const rows = (pick: (f: Summary) => number | undefined): Row[] =>
    measured.map((st) => {
      const v = pick(s[st.id]!) ?? Number.NaN;
      return { label: st.label, value: v, color: COLORS[st.group], text: Number.isFinite(v) ? fmt(v) : '' };
    });
  let y = 30;
  const panels: string[] = [];
  for (const p of [
    logPanel(
      'Calls/s, 64 in flight (HTTP: 64 keep-alive connections), log scale',
      rows((f) => f.in64?.median),
      y,
    ),
  ]) {
    panels.push(p.svg);
    y += p.height;
  }
  const seq = logPanel(
    'Calls/s, sequential (one call at a time), log scale',
    rows((f) => f.seq?.median),
    y,
  );
  panels.push(seq.svg);
  y += seq.height;
  const tp = targetPanel(t, y);
  panels.push(tp.svg);
  y += tp.height;
  const legend = (Object.entries(COLORS) as [Group, string][])
    .map(
      ([g, c], i) =>
        `<rect x="${W - 330 + i * 80}" y="8" width="10" height="10" fill="${c}"/><text x="${W - 316 + i * 80}" y="17" class="v">${g}</text>`,
    )
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${y + 10}" viewBox="0 0 ${W} ${y + 10}" font-family="system-ui, sans-serif">
<style>
.t { font-size: 13px; font-weight: 600; fill: #111; }
.l { font-size: 11px; fill: #222; text-anchor: end; }
.v { font-size: 10px; fill: #333; }
.a { font-size: 9px; fill: #666; text-anchor: middle; }
.g { stroke: #ddd; stroke-width: 1; }
.one { stroke: #111; stroke-width: 1; stroke-dasharray: 3 2; }
</style>
<rect width="100%" height="100%" fill="#fff"/>
<text x="10" y="18" class="t">polyrpc benchmark — ${esc(caption)}</text>
${legend}
${panels.join('\n')}
</svg>
`;
}
