// One shape for every problem a submission can have — syntax, schema, a reference to an unknown service —
// so the API can return them all in one 400 and the CLI can print them the same way (SPEC §2, §4 errors).

export interface Issue {
  /** where the problem is, e.g. `deployPlanItems[1].httpSrcUri`; `(body)` / `(root)` for the whole document */
  path: string;
  /** what is wrong, in words a person acts on; never echoes a value that could be a secret (signed URLs) */
  message: string;
}

/** The body as bytes on the wire: problems before the document exists (size, syntax). */
export const BODY_PATH = '(body)';
/** The parsed document as a whole. */
export const ROOT_PATH = '(root)';

// Keys that read unambiguously after a dot; anything else (spaces, dots, Chinese) is bracket-quoted so a
// path can always be read back as the key the user wrote.
const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `['deployPlanItems', 1, 'httpSrcUri']` → `deployPlanItems[1].httpSrcUri`; `[]` → `(root)`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else {
      const key = typeof seg === 'symbol' ? (seg.description ?? '') : seg;
      if (PLAIN_KEY.test(key)) out += out === '' ? key : `.${key}`;
      else out += `[${JSON.stringify(key)}]`;
    }
  }
  return out === '' ? ROOT_PATH : out;
}

/** Appends a key or index to a formatted path (`(root)` counts as empty). */
export function joinPath(base: string, ...rest: PropertyKey[]): string {
  const head = base === ROOT_PATH ? '' : base;
  const tail = formatPath(rest);
  if (tail === ROOT_PATH) return base;
  if (head === '') return tail;
  return tail.startsWith('[') ? head + tail : `${head}.${tail}`;
}

// A pathological document (a million bad list entries) must not produce a response bigger than itself.
export const MAX_ISSUES = 200;

/** Keeps the first MAX_ISSUES and says how many more there were. */
export function capIssues(issues: Issue[]): Issue[] {
  if (issues.length <= MAX_ISSUES) return issues;
  const rest = issues.length - MAX_ISSUES;
  return [...issues.slice(0, MAX_ISSUES), { path: ROOT_PATH, message: `and ${rest} more problems not listed` }];
}

export const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
