import { describe, expect, it } from 'vitest';
import { MAX_PLAN_BYTES, parseDocument } from '../../shared/plan/parse.ts';
import { validateSubmission } from '../../shared/plan/schema.ts';

const YAML_PLAN = `# release 2.4
comment: release 2.4
deployPlanItems:
  - serviceId: checkout
    priority: 3
    deployment: HTTP_UPLOAD_DEPLOY
    httpSrcUri: https://example.com/checkout-2.4.zip
    version: "2.4.0"
    batches: [1, "25%", "100%"]
    healthCheck: { type: http, path: /healthz }
window:
  timezone: Asia/Shanghai
  allow: ["MON-FRI 10:00-17:00"]
startAt: 2026-11-24T02:00:00Z
`;

const JSON_PLAN = JSON.stringify({
  comment: 'release 2.4',
  deployPlanItems: [
    {
      serviceId: 'checkout',
      priority: 3,
      deployment: 'HTTP_UPLOAD_DEPLOY',
      httpSrcUri: 'https://example.com/checkout-2.4.zip',
      version: '2.4.0',
      batches: [1, '25%', '100%'],
      healthCheck: { type: 'http', path: '/healthz' },
    },
  ],
  window: { timezone: 'Asia/Shanghai', allow: ['MON-FRI 10:00-17:00'] },
  startAt: '2026-11-24T02:00:00Z',
});

const issuesOf = (body: string, contentType?: string) => {
  const r = parseDocument(body, contentType);
  return r.ok ? [] : r.issues;
};

describe('parseDocument', () => {
  it('reads JSON and YAML of the same plan to the same value, and both validate alike', () => {
    const y = parseDocument(YAML_PLAN);
    const j = parseDocument(JSON_PLAN);
    expect(y.ok && j.ok).toBe(true);
    expect(y).toEqual(j);
    const vy = validateSubmission(y.ok ? y.value : null);
    const vj = validateSubmission(j.ok ? j.value : null);
    expect(vy).toEqual(vj);
    expect(vy.ok && vy.kind === 'plan' && vy.plan.startAt).toBe(Date.UTC(2026, 10, 24, 2, 0, 0));
  });

  it.each([
    ['a JSON body by content type', '{"comment": "x"}', 'application/json; charset=utf-8'],
    ['a JSON body by its first character', '  \n{"comment": "x"}', undefined],
    ['a YAML body', 'comment: x', 'application/yaml'],
    ['a body with a byte order mark', '\uFEFFcomment: x', undefined],
  ])('accepts %s', (_name, body, ct) => {
    expect(parseDocument(body, ct)).toEqual({ ok: true, value: { comment: 'x' } });
  });

  it.each([
    ['an empty body', '', '(body)', 'is empty: send a plan (YAML or JSON)'],
    ['a blank body', ' \n\t\n', '(body)', 'is empty: send a plan (YAML or JSON)'],
    ['a YAML list', '- a\n- b\n', '(root)', 'must be a mapping of keys to values (a plan or an ESS request), not a list'],
    ['a JSON list', '[{"comment": "x"}]', '(root)', 'must be a mapping of keys to values (a plan or an ESS request), not a list'],
    ['a scalar', 'hello', '(root)', 'must be a mapping of keys to values (a plan or an ESS request), not a string'],
    ['only comments', '# nothing here\n', '(root)', 'must be a mapping of keys to values (a plan or an ESS request), not null'],
  ])('refuses %s', (_name, body, path, message) => {
    expect(issuesOf(body)).toEqual([{ path, message }]);
  });

  it.each([
    ['a trailing comma', '{"a": 1,\n "b": [1, 2,]\n}', 'is not valid JSON at line 2, column 13: unexpected "]" where a value is expected (strings need double quotes)'],
    ['an unquoted value', '{"a":\n  yes}', 'is not valid JSON at line 2, column 3: unexpected "y" where a value is expected (strings need double quotes)'],
    ['a missing comma', '{"a": 1\n "b": 2}', 'is not valid JSON at line 2, column 2: expected "," or "}", found "\\""'],
    ['an unclosed string', '{"a": "x', 'is not valid JSON at line 1, column 9: a string is not closed (missing ")'],
    ['text after the document', '{"a": 1} x', 'is not valid JSON at line 1, column 10: unexpected "x" after the end of the document'],
  ])('locates a JSON syntax error: %s', (_name, body, message) => {
    expect(issuesOf(body)).toEqual([{ path: '(body)', message }]);
  });

  it.each([
    ['an unclosed flow list', 'a: [1, 2\nb: 3\n', /^is not valid YAML at line 2, column 1: /],
    ['tab indentation', 'a:\n\tb: 1\n', /^is not valid YAML at line 2, column 1: .*\(indent with spaces, not tabs\)$/],
    ['two documents', 'a: 1\n---\nb: 2\n', /^is not valid YAML at line 2, column 1: .*remove the second `---`/],
  ])('locates a YAML syntax error: %s', (_name, body, message) => {
    const issues = issuesOf(body);
    expect(issues.length).toBeGreaterThan(0);
    expect(issues[0].path).toBe('(body)');
    expect(issues[0].message).toMatch(message);
  });

  it('refuses a body over 1 MiB before parsing it', () => {
    const body = `comment: "${'x'.repeat(MAX_PLAN_BYTES)}"`;
    expect(issuesOf(body)).toEqual([{ path: '(body)', message: `is ${MAX_PLAN_BYTES + 11} bytes; a plan may be at most 1048576 bytes (1 MiB)` }]);
  });

  it('counts bytes, not characters (Chinese is 3 bytes a character in UTF-8)', () => {
    const chars = Math.floor(MAX_PLAN_BYTES / 3) + 10;
    const body = `comment: ${'注'.repeat(chars)}`;
    expect(body.length).toBeLessThan(MAX_PLAN_BYTES);
    expect(issuesOf(body)[0].path).toBe('(body)');
  });

  it('refuses an alias bomb ("billion laughs") with a clear issue', () => {
    const bomb = [
      'a: &a ["x","x","x","x","x","x","x","x","x"]',
      'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
      'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
      'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
      'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
      'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
      'g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]',
    ].join('\n');
    expect(issuesOf(bomb)).toEqual([
      { path: '(body)', message: 'expands more than 100 YAML aliases; refused as a possible resource exhaustion attack ("billion laughs")' },
    ]);
  });

  it('still allows a few aliases', () => {
    expect(parseDocument('x: &v 3\ny: *v\n')).toEqual({ ok: true, value: { x: 3, y: 3 } });
  });

  it.each([
    ['at the top level', 'comment: a\ncomment: b\n', 'comment', 'duplicate key "comment" at line 2, column 1: each key may appear once'],
    [
      'inside a list item',
      'deployPlanItems:\n  - serviceId: a\n    deployment: STOP\n    priority: 1\n    priority: 2\n',
      'deployPlanItems[0].priority',
      'duplicate key "priority" at line 5, column 5: each key may appear once',
    ],
  ])('reports a duplicate key %s, naming it', (_name, body, path, message) => {
    expect(issuesOf(body)).toEqual([{ path, message }]);
  });

  it('refuses absurd nesting without overflowing the stack', () => {
    expect(issuesOf(`a: ${'['.repeat(5000)}${']'.repeat(5000)}`)).toEqual([{ path: '(body)', message: 'is nested too deeply to be a plan' }]);
    expect(issuesOf(`{"a": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`)).toEqual([{ path: '(body)', message: 'is nested more than 32 levels deep' }]);
  });

  it('keeps ids and versions as written, where YAML would read a number', () => {
    expect(parseDocument('serviceId: 0111\nversion: 2.10\npriority: 3\n')).toEqual({
      ok: true,
      value: { serviceId: '0111', version: '2.10', priority: 3 },
    });
  });

  describe.each([
    ['YAML', '__proto__:\n  polluted: true\nconstructor:\n  prototype:\n    polluted: true\n'],
    ['JSON', '{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}'],
  ])('%s __proto__ / constructor keys', (_name, body) => {
    it('are plain own keys, and Object.prototype is untouched', () => {
      const r = parseDocument(body);
      if (!r.ok) throw new Error(JSON.stringify(r.issues));
      const value = r.value as Record<string, unknown>;
      expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
      expect(Object.keys(value)).toEqual(['__proto__', 'constructor']);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('are rejected by validation as unknown keys', () => {
      const r = parseDocument(body);
      expect(validateSubmission(r.ok ? r.value : null)).toEqual({
        ok: false,
        issues: [
          { path: 'deployPlanItems', message: 'required' },
          { path: '__proto__', message: 'unknown key "__proto__"' },
          { path: 'constructor', message: 'unknown key "constructor"' },
        ],
      });
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
  });
});
