// Which targets an item changes, and in which batches. Pure and deterministic: targets keep their input
// order, so the same plan over the same fleet always yields the same batches (dry runs match real runs).

/** `"label1, zone=a,"` → `['label1', 'zone=a']`. */
export function parseLabels(deployLabel: string): string[] {
  return [...new Set(deployLabel.split(',').map((l) => l.trim()).filter((l) => l !== ''))];
}

/**
 * EWS deployLabel: a target qualifies when it carries at least one of the labels, compared as whole
 * strings (`zone=a` matches the label `zone=a`, not `zone=ab`). No labels → every target.
 */
export function filterByLabels<T extends { labels: string[] }>(targets: T[], deployLabel?: string): T[] {
  const wanted = new Set(parseLabels(deployLabel ?? ''));
  if (wanted.size === 0) return [...targets];
  return targets.filter((t) => t.labels.some((l) => wanted.has(l)));
}

export interface BatchOptions {
  /** split into this many batches, as even as possible */
  batchNumber?: number;
  /** cumulative sizes: counts (3) or shares ("25%"), ending with all targets */
  batches?: (number | string)[];
}

export type BatchSplit = { ok: true; batches: string[][] } | { ok: false; message: string };

const PERCENT = /^(\d{1,3})%$/;

/** Cumulative target counts of `batches` over n targets, or what is wrong with them. */
function cumulativeCounts(steps: (number | string)[], n: number): number[] | string {
  const out: number[] = [];
  for (const step of steps) {
    let reach: number;
    if (typeof step === 'number' && Number.isInteger(step) && step >= 1) reach = Math.min(step, n);
    else {
      const m = typeof step === 'string' ? PERCENT.exec(step) : null;
      const p = m ? Number(m[1]) : NaN;
      if (!(p >= 1 && p <= 100)) return `batch size ${JSON.stringify(step)} must be a whole number ≥ 1 or a percentage from "1%" to "100%"`;
      reach = Math.min(Math.ceil((p * n) / 100), n);
    }
    // A step that adds no target (a share that rounds to what is already covered) is dropped.
    if (reach > (out[out.length - 1] ?? 0)) out.push(reach);
  }
  return out;
}

export function splitBatches(ids: string[], opts: BatchOptions): BatchSplit {
  const n = ids.length;
  if (n === 0) return { ok: false, message: 'there are no targets to change' };
  if (opts.batchNumber !== undefined && opts.batches !== undefined) {
    return { ok: false, message: 'give either batchNumber or batches, not both' };
  }
  if (opts.batches !== undefined) {
    if (opts.batches.length === 0) return { ok: false, message: 'batches must list at least one size' };
    const counts = cumulativeCounts(opts.batches, n);
    if (typeof counts === 'string') return { ok: false, message: counts };
    const covered = counts[counts.length - 1] ?? 0;
    if (covered < n) {
      return { ok: false, message: `the batches cover ${covered} of ${n} targets; end them with "100%" so every target is changed` };
    }
    return { ok: true, batches: counts.map((end, i) => ids.slice(i === 0 ? 0 : counts[i - 1], end)) };
  }
  const wanted = opts.batchNumber ?? 1;
  if (!Number.isInteger(wanted) || wanted < 1) return { ok: false, message: 'batchNumber must be a whole number ≥ 1' };
  // ESS: each batch has at least one instance, so never more batches than targets. Smaller batches go first:
  // the earliest batches are the riskiest, so they expose the fewest targets.
  const k = Math.min(wanted, n);
  const base = Math.floor(n / k);
  const larger = n % k;
  const out: string[][] = [];
  let start = 0;
  for (let i = 0; i < k; i++) {
    const size = i < k - larger ? base : base + 1;
    out.push(ids.slice(start, start + size));
    start += size;
  }
  return { ok: true, batches: out };
}
