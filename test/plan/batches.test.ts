import { describe, expect, it } from 'vitest';
import { filterByLabels, parseLabels, splitBatches, type BatchOptions } from '../../shared/plan/batches.ts';

const ids = (n: number) => Array.from({ length: n }, (_, i) => `t${i + 1}`);
const sizes = (n: number, opts: BatchOptions) => {
  const r = splitBatches(ids(n), opts);
  if (!r.ok) throw new Error(r.message);
  return r.batches.map((b) => b.length);
};

describe('splitBatches', () => {
  it.each([
    [10, { batchNumber: 3 }, [3, 3, 4]],
    [2, { batchNumber: 5 }, [1, 1]],
    [7, { batchNumber: 7 }, [1, 1, 1, 1, 1, 1, 1]],
    [9, { batchNumber: 2 }, [4, 5]],
    [5, { batchNumber: 1 }, [5]],
    [5, {}, [5]],
    [8, { batches: [1, '25%', '100%'] }, [1, 1, 6]],
    [3, { batches: [1, '25%', '100%'] }, [1, 2]],
    [10, { batches: ['10%', '50%', '100%'] }, [1, 4, 5]],
    [4, { batches: [1, 100] }, [1, 3]],
    [4, { batches: [2, '50%', 4] }, [2, 2]],
    [1, { batches: [1, '25%', '100%'] }, [1]],
  ])('%i targets with %j → %j', (n, opts, expected) => {
    expect(sizes(n, opts)).toEqual(expected);
  });

  it('keeps targets in their input order', () => {
    expect(splitBatches(['c', 'a', 'b', 'd', 'e'], { batchNumber: 2 })).toEqual({ ok: true, batches: [['c', 'a'], ['b', 'd', 'e']] });
    expect(splitBatches(['c', 'a', 'b'], { batches: [1, '100%'] })).toEqual({ ok: true, batches: [['c'], ['a', 'b']] });
  });

  it.each([
    [8, { batches: [1, '50%'] }, 'the batches cover 4 of 8 targets; end them with "100%" so every target is changed'],
    [8, { batches: [2, 5] }, 'the batches cover 5 of 8 targets; end them with "100%" so every target is changed'],
    [0, { batchNumber: 2 }, 'there are no targets to change'],
    [3, { batchNumber: 0 }, 'batchNumber must be a whole number ≥ 1'],
    [3, { batchNumber: 2, batches: ['100%'] }, 'give either batchNumber or batches, not both'],
    [3, { batches: ['0%'] }, 'batch size "0%" must be a whole number ≥ 1 or a percentage from "1%" to "100%"'],
    [3, { batches: [] }, 'batches must list at least one size'],
  ])('%i targets with %j → error', (n, opts, message) => {
    expect(splitBatches(ids(n), opts)).toEqual({ ok: false, message });
  });
});

describe('labels', () => {
  it('parses comma-separated labels, trimming and dropping empties', () => {
    expect(parseLabels(' label1, zone=a,,  ,label1 ')).toEqual(['label1', 'zone=a']);
    expect(parseLabels('')).toEqual([]);
  });

  const fleet = [
    { id: 'a', labels: ['label1'] },
    { id: 'b', labels: ['zone=a'] },
    { id: 'c', labels: ['zone=ab', 'label2'] },
    { id: 'd', labels: [] },
  ];

  it.each([
    [undefined, ['a', 'b', 'c', 'd']],
    ['', ['a', 'b', 'c', 'd']],
    ['label1', ['a']],
    ['zone=a', ['b']],
    ['label1,zone=a', ['a', 'b']],
    ['zone', []],
    ['label2, label1', ['a', 'c']],
  ])('deployLabel %j selects %j', (deployLabel, expected) => {
    expect(filterByLabels(fleet, deployLabel).map((t) => t.id)).toEqual(expected);
  });
});
