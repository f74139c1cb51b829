// Body text → a plain JS value, before any schema looks at it. Everything hostile about YAML and JSON is
// dealt with here, so the schema only ever sees small, acyclic, plain data:
// - size is checked on bytes before parsing (SPEC §9: plans are size-limited);
// - alias expansion is capped (a "billion laughs" document is a few hundred bytes);
// - duplicate keys are an error (YAML would otherwise keep one of them silently);
// - `__proto__` / `constructor` stay ordinary own keys, which the strict schemas then reject.

import YAML, { isMap, isScalar, isSeq, type Document, type YAMLError } from 'yaml';
import { BODY_PATH, ROOT_PATH, formatPath, isRecord, type Issue } from './issues.ts';
import { locateJsonError } from './json-error.ts';
import { describeValue } from './messages.ts';

export const MAX_PLAN_BYTES = 1024 * 1024;
/** Deeper than any plan needs; bounds the recursion of everything downstream. */
export const MAX_DEPTH = 32;
const MAX_ALIASES = 100;
/** A syntax error usually cascades; the first few say all there is to say. */
const MAX_YAML_ERRORS = 5;

export type ParseResult = { ok: true; value: unknown } | { ok: false; issues: Issue[] };

const fail = (path: string, message: string): ParseResult => ({ ok: false, issues: [{ path, message }] });

export function parseDocument(body: string, contentType?: string): ParseResult {
  try {
    if (typeof body !== 'string') return fail(BODY_PATH, 'must be text (YAML or JSON)');
    const bytes = Buffer.byteLength(body, 'utf8');
    if (bytes > MAX_PLAN_BYTES) {
      return fail(BODY_PATH, `is ${bytes} bytes; a plan may be at most ${MAX_PLAN_BYTES} bytes (1 MiB)`);
    }
    const text = body.charCodeAt(0) === 0xfeff ? body.slice(1) : body;
    const trimmed = text.trim();
    if (trimmed === '') return fail(BODY_PATH, 'is empty: send a plan (YAML or JSON)');
    const json = (contentType ?? '').toLowerCase().includes('json') || trimmed.startsWith('{') || trimmed.startsWith('[');
    const parsed = json ? parseJson(text) : parseYaml(text);
    if (!parsed.ok) return parsed;
    if (!isRecord(parsed.value)) {
      return fail(ROOT_PATH, `must be a mapping of keys to values (a plan or an ESS request), not ${describeValue(parsed.value)}`);
    }
    return toPlain(parsed.value);
  } catch (e) {
    // Parsers can still blow the stack on absurd nesting; that is the user's document, not our fault.
    if (e instanceof RangeError) return fail(BODY_PATH, 'is nested too deeply to be a plan');
    return fail(BODY_PATH, `could not be read: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** 1-based line and column of a character offset. */
export function lineCol(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      start = i + 1;
    }
  }
  return { line, col: offset - start + 1 };
}

/** JSON.parse with a located message. Exported for ESS `Parameters` given as a JSON string. */
export function parseJson(text: string): ParseResult {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    if (e instanceof RangeError) return fail(BODY_PATH, 'is nested too deeply to be a plan');
    const found = locateJsonError(text);
    if (!found) return fail(BODY_PATH, `is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
    const { line, col } = lineCol(text, found.offset);
    return fail(BODY_PATH, `is not valid JSON at line ${line}, column ${col}: ${found.message}`);
  }
}

// YAML's own wording for codes whose meaning is not obvious from the message.
const YAML_HINTS: Record<string, string> = {
  TAB_AS_INDENT: 'indent with spaces, not tabs',
  MULTIPLE_DOCS: 'send one document: remove the second `---`',
};

// Seed 004's published example ends its item list with an indented `...` line meaning "more items like
// these". An indented `...` is never a YAML document marker, so such a plan fails to parse; users paste
// it verbatim. When (and only when) the text does not parse as written, it is read again without those
// lines, and kept that way only if that reading succeeds.
const ELLIPSIS_LINE = /^[ \t]+\.\.\.[ \t]*(#.*)?$/;

function parseYaml(text: string): ParseResult {
  const first = parseYamlText(text);
  if (first.ok || !text.split('\n').some((l) => ELLIPSIS_LINE.test(l))) return first;
  const second = parseYamlText(text.split('\n').filter((l) => !ELLIPSIS_LINE.test(l)).join('\n'));
  return second.ok ? second : first;
}

function parseYamlText(text: string): ParseResult {
  // uniqueKeys is off: the library compares each key with every earlier key of its mapping, which is
  // quadratic (100,000 keys in 1 MiB blocked the event loop for ~90 s). duplicateKeys() below is linear.
  // maxAliasCount is enforced when aliases are expanded (toJS below), not while parsing.
  const doc = YAML.parseDocument(text, { uniqueKeys: false, prettyErrors: true });
  // The parser turns a stack overflow on absurd nesting into one error per level.
  if (doc.errors.some((e) => /call stack/i.test(e.message))) return fail(BODY_PATH, 'is nested too deeply to be a plan');
  const dups = duplicateKeys(doc.contents, MAX_YAML_ERRORS);
  if (doc.errors.length > 0 || dups.length > 0) {
    const found = [
      ...doc.errors.map((err) => ({ offset: err.pos[0], issue: () => yamlIssue(text, err) })),
      ...dups.map((dup) => ({ offset: dup.offset, issue: () => duplicateIssue(text, dup) })),
    ];
    return { ok: false, issues: found.sort((a, b) => a.offset - b.offset).slice(0, MAX_YAML_ERRORS).map((f) => f.issue()) };
  }
  keepIdentifiersAsWritten(doc);
  try {
    return { ok: true, value: doc.toJS({ maxAliasCount: MAX_ALIASES }) };
  } catch (e) {
    if (e instanceof ReferenceError && /alias/i.test(e.message)) {
      return fail(BODY_PATH, `expands more than ${MAX_ALIASES} YAML aliases; refused as a possible resource exhaustion attack ("billion laughs")`);
    }
    throw e;
  }
}

function yamlIssue(text: string, err: YAMLError): Issue {
  const pos = err.linePos?.[0] ?? lineCol(text, err.pos[0]);
  // prettyErrors appends " at line L, column C:" and a source excerpt; keep only the sentence.
  const sentence = err.message.replace(/ at line \d+, column \d+:[\s\S]*$/, '');
  const hint = YAML_HINTS[err.code];
  return { path: BODY_PATH, message: `is not valid YAML at line ${pos.line}, column ${pos.col}: ${sentence}${hint ? ` (${hint})` : ''}` };
}

function duplicateIssue(text: string, dup: Duplicate): Issue {
  const { line, col } = lineCol(text, dup.offset);
  return { path: dup.path, message: `duplicate key ${JSON.stringify(dup.key)} at line ${line}, column ${col}: each key may appear once` };
}

/** a key seen twice in one mapping: its text, its document path (`deployPlanItems[0].priority`), its offset */
type Duplicate = { key: string; path: string; offset: number };

/**
 * The first `max` keys, in document order, that repeat a key of the same mapping: one Set per mapping, so
 * linear in the document. Keys compare as the library's uniqueKeys did: scalars by value, anything else
 * (a collection or an alias as a key) never equal. Aliases are not followed: their anchor is walked once.
 */
function duplicateKeys(root: unknown, max: number): Duplicate[] {
  const found: Duplicate[] = [];
  const segs: (string | number)[] = [];
  const walk = (node: unknown): void => {
    if (isMap(node)) {
      const seen = new Set<unknown>();
      for (const pair of node.items) {
        if (found.length >= max) return;
        const key: unknown = pair.key;
        if (!isScalar(key)) {
          walk(key);
          walk(pair.value);
          continue;
        }
        const label = String(key.value);
        if (seen.has(key.value)) found.push({ key: label, path: formatPath([...segs, label]), offset: key.range?.[0] ?? 0 });
        else seen.add(key.value);
        segs.push(label);
        walk(pair.value);
        segs.pop();
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        segs.push(i);
        walk(item);
        segs.pop();
      });
    }
  };
  walk(root);
  return found;
}

// Ids and versions are labels, not numbers: YAML reads `version: 2.10` as 2.1 and `serviceId: 0111` as 111.
// For these keys a plain (unquoted) scalar keeps the text the user wrote.
const VERBATIM_KEYS = new Set(['serviceId', 'id', 'version', 'packageVersion']);

function keepIdentifiersAsWritten(doc: Document): void {
  YAML.visit(doc, {
    Pair(_, pair) {
      if (!isScalar(pair.key) || !VERBATIM_KEYS.has(String(pair.key.value))) return;
      const v = pair.value;
      if (isScalar(v) && typeof v.value === 'number' && v.type === 'PLAIN' && typeof v.source === 'string') {
        v.value = v.source;
      }
    },
  });
}

/**
 * A deep copy into plain objects and arrays, with every key an own data property (so `__proto__` is just
 * a key), bounded in depth. Both parsers already avoid prototype setters; this makes it a guarantee.
 */
function toPlain(root: unknown): ParseResult {
  let tooDeep = false;
  const copy = (v: unknown, depth: number): unknown => {
    if (depth > MAX_DEPTH) {
      tooDeep = true;
      return null;
    }
    if (Array.isArray(v)) return v.map((x) => copy(x, depth + 1));
    if (isRecord(v)) {
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(v)) {
        Object.defineProperty(out, key, { value: copy(v[key], depth + 1), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    return v;
  };
  const value = copy(root, 0);
  if (tooDeep) return fail(BODY_PATH, `is nested more than ${MAX_DEPTH} levels deep`);
  return { ok: true, value };
}
