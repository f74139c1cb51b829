// Zod's default messages ("Invalid input: expected string, received number") are written for programmers.
// A plan is written by people at 2 a.m., so every zod issue is rewritten here into a short sentence about the
// value at its path, and each unknown key becomes its own issue with a "did you mean" when a known key is
// one typo away. Messages never quote the rejected value: it may be a signed URL or a token (SPEC §9).

import type { z } from 'zod';
import { capIssues, formatPath, type Issue } from './issues.ts';

type RawIssue = z.core.$ZodRawIssue;

const NOUNS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'a mapping (key: value)',
  array: 'a list',
  date: 'a date',
  null: 'null',
};

/** What a person would call the value they wrote. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (v instanceof Date) return 'a date';
  if (typeof v === 'number') return Number.isInteger(v) ? 'a whole number' : 'a number';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'boolean') return 'true/false';
  if (typeof v === 'string') return 'a string';
  return typeof v;
}

const listOf = (values: readonly unknown[]): string => values.map((v) => String(v)).join(', ');

function tooSmall(iss: Extract<RawIssue, { code: 'too_small' }>): string {
  const min = Number(iss.minimum);
  if (iss.origin === 'string') return min <= 1 ? 'must not be empty' : `must be at least ${min} characters`;
  if (iss.origin === 'array' || iss.origin === 'set') return min <= 1 ? 'must list at least one entry' : `must list at least ${min} entries`;
  return iss.inclusive === false ? `must be greater than ${min}` : `must be at least ${min}`;
}

function tooBig(iss: Extract<RawIssue, { code: 'too_big' }>): string {
  const max = Number(iss.maximum);
  if (iss.origin === 'string') return `must be at most ${max} characters`;
  if (iss.origin === 'array' || iss.origin === 'set') return `must list at most ${max} entries`;
  return iss.inclusive === false ? `must be less than ${max}` : `must be at most ${max}`;
}

function message(iss: RawIssue): string {
  switch (iss.code) {
    case 'invalid_type':
      if (iss.input === undefined) return 'required';
      if (iss.expected === 'int' && typeof iss.input === 'number') return 'must be a whole number';
      // z.number().int() reports a string as "expected number"; the person needs to hear "whole number"
      if (iss.expected === 'number' && (iss.inst as { isInt?: boolean } | undefined)?.isInt) {
        return `must be a whole number, not ${describeValue(iss.input)}`;
      }
      return `must be ${NOUNS[iss.expected] ?? iss.expected}, not ${describeValue(iss.input)}`;
    case 'invalid_value':
      if (iss.input === undefined) return 'required';
      return iss.values.length === 1 ? `must be ${JSON.stringify(iss.values[0])}` : `must be one of ${listOf(iss.values)}`;
    case 'too_small':
      return tooSmall(iss);
    case 'too_big':
      return tooBig(iss);
    case 'invalid_format':
      if (iss.format === 'url') return 'must be a URL';
      if (iss.format === 'starts_with') return `must start with "${(iss as { prefix?: string }).prefix ?? ''}"`;
      return 'has an invalid format';
    case 'not_multiple_of':
      return `must be a multiple of ${String(iss.divisor)}`;
    case 'invalid_union':
      if (iss.input === undefined) return 'required';
      return 'has an invalid value';
    case 'unrecognized_keys':
      return `unknown keys: ${listOf(iss.keys)}`; // split per key by toIssues
    default:
      return 'is invalid';
  }
}

// Typos are usually one or two edits or a case slip (`serviceid`); beyond that a suggestion is a guess.
function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

export function suggestKey(unknown: string, known: readonly string[]): string | undefined {
  const lower = unknown.toLowerCase();
  let best: string | undefined;
  let bestDistance = Math.min(2, Math.floor(unknown.length / 3));
  for (const k of known) {
    if (k.toLowerCase() === lower) return k;
    const d = editDistance(lower, k.toLowerCase());
    if (d <= bestDistance) {
      best = k;
      bestDistance = d - 1; // keep looking only for a strictly closer key
    }
  }
  return best;
}

/**
 * A per-validation error map. Zod finalizes issues without the schema that raised them, so the known keys
 * of a strict object (for "did you mean") are captured here, while the schema is still at hand.
 */
export function createErrorMap(): { map: z.core.$ZodErrorMap; hints: Map<string, string> } {
  const hints = new Map<string, string>();
  const map: z.core.$ZodErrorMap = (iss) => {
    if (iss.code === 'unrecognized_keys') {
      const shape = (iss.inst as { _zod?: { def?: { shape?: Record<string, unknown> } } } | undefined)?._zod?.def?.shape;
      const known = shape ? Object.keys(shape) : [];
      for (const key of iss.keys) {
        const s = suggestKey(key, known);
        if (s) hints.set(formatPath([...(iss.path ?? []), key]), s);
      }
    }
    return message(iss);
  };
  return { map, hints };
}

/** Zod's finished issues → ours: one per unknown key, duplicates dropped, capped. */
export function toIssues(zodIssues: readonly z.core.$ZodIssue[], hints: Map<string, string>): Issue[] {
  const out: Issue[] = [];
  const seen = new Set<string>();
  const push = (path: string, msg: string) => {
    const k = `${path}\u0000${msg}`;
    if (!seen.has(k)) {
      seen.add(k);
      out.push({ path, message: msg });
    }
  };
  for (const iss of zodIssues) {
    if (iss.code === 'unrecognized_keys') {
      for (const key of iss.keys) {
        const path = formatPath([...iss.path, key]);
        const hint = hints.get(path);
        push(path, `unknown key ${JSON.stringify(key)}${hint ? ` (did you mean "${hint}"?)` : ''}`);
      }
    } else {
      push(formatPath(iss.path), iss.message);
    }
  }
  return capIssues(out);
}

/** Runs a schema with the person-friendly messages; never throws. */
export function runSchema<S extends z.ZodType>(
  schema: S,
  input: unknown,
): { ok: true; value: z.output<S> } | { ok: false; issues: Issue[] } {
  const { map, hints } = createErrorMap();
  const r = schema.safeParse(input, { error: map });
  if (r.success) return { ok: true, value: r.data };
  return { ok: false, issues: toIssues(r.error.issues, hints) };
}
