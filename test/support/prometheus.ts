/**
 * Reading a `/metrics` answer with a real Prometheus text parser: Python's
 * `prometheus_client.parser` (Debian's python3-prometheus-client), not our own.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPython } from './python.js';

/** Sample is one parsed line: its name, labels and value. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const SCRIPT = `
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for family in text_string_to_metric_families(open(sys.argv[1]).read()):
    for s in family.samples:
        out.append({"name": s.name, "labels": s.labels, "value": s.value, "type": family.type})
print(json.dumps(out))
`;

/** parsePrometheus parses exposition text; it rejects when the parser does. */
export async function parsePrometheus(text: string): Promise<Sample[]> {
  const dir = await mkdtemp(join(tmpdir(), 'polyrpc-metrics-'));
  try {
    const file = join(dir, 'metrics.txt');
    await writeFile(file, text);
    const run = await runPython('/usr/bin/python3', ['-c', SCRIPT, file], 20_000);
    if (run.code !== 0) throw new Error(`prometheus parser failed: ${run.stderr}`);
    return JSON.parse(run.stdout) as Sample[];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** value returns the one sample named `name` whose labels include `labels`, or undefined. */
export function value(
  samples: readonly Sample[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const found = samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (found.length > 1) throw new Error(`${name} ${JSON.stringify(labels)} matches ${found.length} samples`);
  return found[0]?.value;
}
