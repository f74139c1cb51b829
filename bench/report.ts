// Formats the bench's results as Markdown tables (printed, and pasted into BENCHMARKS.md) and judges the
// targets of issue 4 against them.

import { TABLESTORE_RTT_SECONDS, WORKER_VCPU, type CostResult } from './cost.ts';
import type { PeerOutcome } from './peers/dbos/index.ts';
import type { ScaleResult } from './scale.ts';
import type { ThroughputResult } from './throughput.ts';

export interface CloudResult {
  invocationsPerOrder: number;
  /** async worker invocations made by the time the order was finalized */
  invocationsAtFinal: number;
  /** every delayed invocation had run when counted */
  settled: boolean;
  workerRuns: number;
  rowWritesPerTarget: number;
  rowReadsPerTarget: number;
  /** listTasks calls: full reloads of the order's task rows */
  taskLoads: number;
  tickerRuns: number;
  wallMs: number;
  shape: { targets: number; batches: number; maxConcurrency: number };
}

export interface Results {
  throughput: ThroughputResult[];
  scale: ScaleResult[];
  peer?: PeerOutcome;
  cloud?: CloudResult | { skipped: string };
  cost?: CostResult;
}

const f = (n: number | undefined, d = 0) => (n === undefined || !Number.isFinite(n) ? '–' : n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }));
const table = (head: string[], rows: (string | number)[][]) =>
  [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

export function throughputTable(r: Results): string {
  const byMode = (m: string) => r.throughput.find((t) => t.sync === m);
  const cols = ['FULL', 'NORMAL'].map(byMode).filter((t): t is ThroughputResult => !!t);
  const peer = r.peer?.ran ? r.peer.result : undefined;
  if (!cols.length && !peer) return '';
  const full = byMode('FULL');
  const head = ['metric', ...cols.map((c) => `changeflow, SQLite ${c.sync}`), ...(peer ? ['DBOS peer (PostgreSQL, fsync on)', 'changeflow FULL ÷ peer'] : [])];
  const ratio = (a?: number, b?: number, d = 2) => (a !== undefined && b ? `${f(a / b, d)}×` : '–');
  const row = (name: string, get: (t: ThroughputResult) => number | undefined, d: number, peerVal?: number, pd = d) => [
    name,
    ...cols.map((c) => f(get(c), d)),
    ...(peer ? [f(peerVal, pd), ratio(full ? get(full) : undefined, peerVal)] : []),
  ];
  const s = cols[0]?.shape ?? peer!.shape;
  return [
    `Rollout: ${f(s.targets)} targets, ${s.batches} batches, PARALLEL, maxConcurrency ${s.maxConcurrency}, Automatic, zero-latency simulated executor; median of ${cols[0]?.reps ?? peer!.reps} runs.`,
    '',
    table(head, [
      row('targets per second', (t) => t.targetsPerSec, 0, peer?.targetsPerSec),
      row('wall time (ms)', (t) => t.wallMs, 0, peer?.wallMs),
      row('overhead per target (µs wall)', (t) => t.overheadUsPerTarget, 1, peer?.overheadUsPerTarget),
      row('CPU per target (µs)', (t) => t.cpuUsPerTarget, 1, peer?.cpuUsPerTarget),
      row('batch gap, task rows, median (ms)', (t) => t.gapMs.median, 0),
      row('batch gap, task rows, p95 (ms)', (t) => t.gapMs.p95, 0),
      row('batch gap, executor clock, median (ms)', (t) => t.gapExecMs.median, 1, peer?.gapMs.median),
      row('batch gap, executor clock, p95 (ms)', (t) => t.gapExecMs.p95, 1, peer?.gapMs.p95),
      row('row reads per target', (t) => t.readsPerTarget, 3),
      row('row writes per target', (t) => t.writesPerTarget, 4, peer?.rowWritesPerTarget, 3),
      row('bytes written per target (peer: WAL bytes)', (t) => t.bytesPerTarget, 0, peer?.walBytesPerTarget),
      row('order-row (head) writes per order', (t) => t.headWrites, 0),
    ]),
  ].join('\n');
}

export function scaleTable(r: Results): string {
  if (!r.scale.length) return '';
  const s = r.scale[0];
  return [
    `Scale: ${f(s.orders)} services × ${s.shape.targets} targets, one order each (${s.shape.batches} batches, PARALLEL, Automatic), all submitted at once.`,
    '',
    table(
      ['metric', ...r.scale.map((x) => `SQLite ${x.sync}`)],
      [
        ['completion time, first submit → last order finalized (s)', ...r.scale.map((x) => f(x.completionMs / 1000, 1))],
        ['targets per second', ...r.scale.map((x) => f(x.targetsPerSec))],
        ['peak RSS, sampled every 50 ms (MiB)', ...r.scale.map((x) => f(x.peakRssMiB))],
        ['RSS before the fleets were registered (MiB)', ...r.scale.map((x) => f(x.baseRssMiB))],
        ['final statuses', ...r.scale.map((x) => Object.entries(x.statuses).map(([k, v]) => `${v} ${k}`).join(', '))],
      ],
    ),
  ].join('\n');
}

export function cloudTable(r: Results): string {
  if (!r.cloud) return '';
  if ('skipped' in r.cloud) return `Cloud mode: not measured (${r.cloud.skipped}).`;
  const c = r.cloud;
  return table(
    ['cloud mode (FC harness + Tablestore emulator)', 'value'],
    [
      ['rollout', `${f(c.shape.targets)} targets, ${c.shape.batches} batches`],
      ['worker invocations per order (async InvokeFunction)', `${f(c.invocationsPerOrder)}${c.settled ? '' : ' (delayed ones still pending when counted)'}`],
      ['… of which made before the order was finalized', f(c.invocationsAtFinal)],
      ['worker runs (deliveries, retries included)', f(c.workerRuns)],
      ['row writes per target', f(c.rowWritesPerTarget, 3)],
      ['row reads per target', f(c.rowReadsPerTarget, 3)],
      ['full loads of the order’s task rows (listTasks)', f(c.taskLoads)],
      ['ticker runs meanwhile (every 1 s)', f(c.tickerRuns)],
      ['wall time (ms)', f(c.wallMs)],
    ],
  );
}

export function costTable(r: Results): string {
  const c = r.cost;
  if (!c) return '';
  return [
    `Cost of one ${f(c.inputs.targets)}-target rollout (${c.inputs.batches} batches). Invocations: ${c.inputs.invocationsSource}. Rows: ${c.inputs.rowsSource}. Worker time: the local orchestrator CPU time at ${WORKER_VCPU} vCPU plus ${TABLESTORE_RTT_SECONDS * 1000} ms per Tablestore call.`,
    '',
    table(
      ['item', 'quantity', 'CNY', 'USD'],
      [
        ['FC invocations', f(c.inputs.invocations), '', ''],
        ['FC worker time (s) / vCPU-s / GB-s', `${f(c.workerSeconds, 2)} / ${f(c.vcpuSeconds, 2)} / ${f(c.gbSeconds, 2)}`, '', ''],
        ['FC total (CU)', f(c.fcCu, 2), f(c.fcCny, 5), ''],
        ['Tablestore read CU / write CU', `${f(c.readCu)} / ${f(c.writeCu)}`, f(c.tablestoreCny, 5), ''],
        ['**changeflow on FC + Tablestore**', '', `**${f(c.totalCny, 4)}**`, `**${f(c.totalUsd, 4)}**`],
        ...c.sfn.map((s) => [`AWS Step Functions Standard (${s.assumption})`, `${f(s.transitions)} transitions`, f(s.cny, 2), `**${f(s.usd, 2)}**`]),
      ],
    ),
  ].join('\n');
}

export interface Verdict {
  target: string;
  measured: string;
  met: 'yes' | 'no' | 'partly' | 'not judged';
}

const yesNo = (b: boolean): Verdict['met'] => (b ? 'yes' : 'no');

export function verdicts(r: Results): Verdict[] {
  const full = r.throughput.find((t) => t.sync === 'FULL');
  const normal = r.throughput.find((t) => t.sync === 'NORMAL');
  const any = full ?? normal;
  const peer = r.peer?.ran ? r.peer.result : undefined;
  const v: Verdict[] = [];
  if (full && peer) {
    const x = full.targetsPerSec / peer.targetsPerSec;
    v.push({ target: '≥ 10× the DBOS peer’s targets per second (same shape, durability)', measured: `${f(x, 1)}× (${f(full.targetsPerSec)} vs ${f(peer.targetsPerSec)} targets/s)`, met: yesNo(x >= 10) });
  } else v.push({ target: '≥ 10× the DBOS peer’s targets per second (same shape, durability)', measured: r.peer && !r.peer.ran ? `peer skipped: ${r.peer.reason}` : 'not measured in this run', met: 'not judged' });
  if (any) {
    const extraPerBatch = (any.writesPerTarget * any.shape.targets - 2 * any.shape.targets) / any.shape.batches;
    v.push({
      target: '≤ 2 row writes per target per attempt, O(1) writes per batch beyond that',
      measured: `${f(any.writesPerTarget, 4)} writes/target = 2 per target + ${f(extraPerBatch, 1)} per batch (one attempt each)`,
      met: yesNo(any.writesPerTarget * any.shape.targets <= 2 * any.shape.targets + 10 * any.shape.batches),
    });
    const worst = Math.max(...r.throughput.map((t) => t.gapMs.median));
    const exec = Math.max(...r.throughput.map((t) => t.gapExecMs.median));
    v.push({
      target: 'batch-to-batch latency ≤ 5 ms median locally',
      measured: `task rows: ${f(worst)} ms median (ms timestamps); executor clock (last outcome reported → first start): ${f(exec, 1)} ms median`,
      met: worst <= 5 ? (exec <= 5 ? 'yes' : 'partly') : 'no',
    });
  }
  if (r.cloud && !('skipped' in r.cloud)) {
    const c = r.cloud;
    v.push({ target: 'worker invocations per order O(batches + polls), not O(targets)', measured: `${f(c.invocationsPerOrder)} per order for ${f(c.shape.targets)} targets in ${c.shape.batches} batches`, met: yesNo(c.invocationsPerOrder <= 10 * c.shape.batches) });
  } else v.push({ target: 'worker invocations per order O(batches + polls), not O(targets)', measured: `cloud mode not measured${r.cloud && 'skipped' in r.cloud ? `: ${r.cloud.skipped}` : ''}`, met: 'not judged' });
  if (r.scale.length) {
    const peak = Math.max(...r.scale.map((s) => s.peakRssMiB));
    v.push({ target: `${f(r.scale[0].orders)} concurrent orders × ${r.scale[0].shape.targets} targets within 1 GiB RSS`, measured: `peak ${f(peak)} MiB`, met: peak > 1024 ? 'no' : r.scale[0].orders >= 1000 ? 'yes' : 'not judged' });
  }
  return v;
}

export const verdictTable = (v: Verdict[]) =>
  table(['target (issue 4)', 'measured', 'met'], v.map((x) => [x.target, x.measured, x.met === 'no' || x.met === 'partly' ? `**${x.met}**` : x.met]));
