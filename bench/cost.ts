// The cost model: a 10,000-target rollout priced on Function Compute 3.0 + Tablestore (pay-as-you-go) from
// the counted invocations, GB-seconds and row operations, beside the same rollout priced as AWS Step
// Functions Standard state transitions. Every price is a named constant with its source and the date it
// was read; figures that could not be found are marked ASSUMPTION.

// --- Alibaba Cloud Function Compute 3.0, pay-as-you-go (按量付费). Since 2024-08-27 every resource is
// converted to CU and billed per CU. Source: alibabacloud.com/help/tc/functioncompute/fc-3-0/product-overview/
// pay-as-you-go-billing-method-1 (and .../zh/functioncompute/fc-2-0/.../pay-as-you-go-billing-method, same
// table), read 2026-11-23. The page lists USD prices; no CNY CU price was found, so CNY = USD × FX below.
/** tier 1, (0, 100 million] CU a month, list price (the page also shows a discounted USD 0.0000160/CU) */
export const FC_USD_PER_CU = 0.00002;
/** CU per 10,000 function invocations (函数调用次数: 75 CU/万次) = USD 0.15 per million invocations */
export const FC_CU_PER_10K_INVOCATIONS = 75;
/** CU per active vCPU-second (活跃vCPU使用量) */
export const FC_CU_PER_VCPU_SECOND = 1;
/** CU per GB-second of memory (内存使用量) */
export const FC_CU_PER_GB_SECOND = 0.15;

// --- Tablestore (表格存储), CU mode (按量), high-performance instance, pay-as-you-go read/write throughput.
// One CU = one row of at most 4 KB read or written (rounded up per 4 KB). Source for the read price:
// help.aliyun.com/zh/tablestore/product-overview/billing-examples ("按量读单价 ... 0.01" 元/万CU, Hangzhou),
// read 2026-11-23. Also there: capacity instance 0.004 元/万CU read.
export const TABLESTORE_CNY_PER_10K_READ_CU = 0.01;
/** ASSUMPTION: no published pay-as-you-go write price was found; taken equal to the read price */
export const TABLESTORE_CNY_PER_10K_WRITE_CU = 0.01;

// --- AWS Step Functions Standard: USD 0.025 per 1,000 state transitions (USD 25 per million; US East and
// most regions), as given in issue 4 and on aws.amazon.com/step-functions/pricing (a stored copy read
// 2026-11-23). The 4,000 free transitions a month are ignored.
export const SFN_USD_PER_TRANSITION = 25 / 1_000_000;

/** ASSUMPTION: exchange rate used to show FC's USD price in CNY and the CNY total in USD */
export const CNY_PER_USD = 7.2;
/** the worker function's memory, as s.yaml deploys it (memorySize: 1024) */
export const WORKER_MEMORY_GB = 1;
/** ASSUMPTION: its vCPU (s.yaml sets none; FC 3.0 allows 1:1 to 1:4 vCPU:GB): 0.5 vCPU */
export const WORKER_VCPU = 0.5;
/** ASSUMPTION: one Tablestore request over the VPC endpoint, added to the worker's time per store call */
export const TABLESTORE_RTT_SECONDS = 0.005;
/**
 * Without cloud-mode counts, invocations are derived from the engine's design (functions/worker/index.ts):
 * one API invocation stores the order and hands it to the worker; a worker invocation drives the order
 * until it waits, within its timeout less a 15 s reserve (s.yaml: timeout 600 → 585 s), then hands on; a
 * zero-latency executor never makes it wait; ASSUMPTION: one more wake-up for the lease deadline.
 */
export const WORKER_BUDGET_SECONDS = 585;
export const derivedInvocations = (workerSeconds: number) => 1 + Math.max(1, Math.ceil(workerSeconds / WORKER_BUDGET_SECONDS)) + 1;
/** Tablestore batch writes carry at most 200 rows (the Store contract chunks to 200) */
const ROWS_PER_BATCH_CALL = 200;

export interface CostInputs {
  targets: number;
  batches: number;
  /** FC invocations of the whole rollout (API + worker + wake-ups), when counted in cloud mode */
  invocations?: number;
  invocationsSource?: string;
  /** orchestrator CPU seconds for the rollout, measured locally */
  cpuSeconds: number;
  rowReads: number;
  rowWrites: number;
  rowsSource: string;
  /** head (order row) writes: single-row calls; the rest go in batch calls */
  headWrites: number;
  /** average bytes per row written: rows over 4 KB cost more than one CU */
  bytesPerRow: number;
}

export interface CostResult {
  inputs: CostInputs;
  workerSeconds: number;
  gbSeconds: number;
  vcpuSeconds: number;
  fcCu: number;
  fcCny: number;
  readCu: number;
  writeCu: number;
  tablestoreCny: number;
  totalCny: number;
  totalUsd: number;
  sfn: { assumption: string; transitions: number; usd: number; cny: number }[];
}

export function costModel(c: CostInputs): CostResult {
  const storeCalls = Math.ceil((c.rowWrites - c.headWrites) / ROWS_PER_BATCH_CALL) + c.headWrites + Math.ceil(c.rowReads / ROWS_PER_BATCH_CALL);
  const workerSeconds = c.cpuSeconds / WORKER_VCPU + storeCalls * TABLESTORE_RTT_SECONDS;
  const gbSeconds = workerSeconds * WORKER_MEMORY_GB;
  const vcpuSeconds = workerSeconds * WORKER_VCPU;
  const invocations = c.invocations ?? derivedInvocations(workerSeconds);
  const invocationsSource = c.invocations !== undefined ? (c.invocationsSource ?? 'counted') : `derived from the design, not counted (1 API + ceil(worker s / ${WORKER_BUDGET_SECONDS} s) worker + 1 lease wake-up)`;
  const fcCu = (invocations / 10_000) * FC_CU_PER_10K_INVOCATIONS + vcpuSeconds * FC_CU_PER_VCPU_SECOND + gbSeconds * FC_CU_PER_GB_SECOND;
  const fcCny = fcCu * FC_USD_PER_CU * CNY_PER_USD;
  const cuPerRow = Math.max(1, Math.ceil(c.bytesPerRow / 4096));
  // ASSUMPTION: one read CU per row read (each row is far below 4 KB; a range read may cost less)
  const readCu = c.rowReads;
  const writeCu = c.rowWrites * cuPerRow;
  const tablestoreCny = (readCu / 10_000) * TABLESTORE_CNY_PER_10K_READ_CU + (writeCu / 10_000) * TABLESTORE_CNY_PER_10K_WRITE_CU;
  const totalCny = fcCny + tablestoreCny;
  const perBatch = c.targets / c.batches;
  // Step Functions: an outer Map over the batches (MaxConcurrency 1) whose iterations each run an inner Map
  // over the batch's targets (MaxConcurrency 1000). Every state entered is one transition.
  const lean = 2 + c.batches * 3 + c.targets * 1; // start/end; per batch: the iteration, the inner Map, a Choice on failures; per target: one Task (.waitForTaskToken, no polling)
  const polling = 2 + c.batches * 3 + c.targets * 4; // per target: Task start, Wait, Task poll, Choice (one poll round)
  const sfn = [
    { assumption: `per target 1 Task state (callback), per batch 3, per run 2 (${perBatch} targets per batch)`, transitions: lean },
    { assumption: 'per target start + Wait + poll + Choice (one poll round), per batch 3, per run 2', transitions: polling },
  ].map((s) => ({ ...s, usd: s.transitions * SFN_USD_PER_TRANSITION, cny: s.transitions * SFN_USD_PER_TRANSITION * CNY_PER_USD }));
  return { inputs: { ...c, invocations, invocationsSource }, workerSeconds, gbSeconds, vcpuSeconds, fcCu, fcCny, readCu, writeCu, tablestoreCny, totalCny, totalUsd: totalCny / CNY_PER_USD, sfn };
}
