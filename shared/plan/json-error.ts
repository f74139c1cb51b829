// Node 20's JSON.parse often says only `Unexpected token 'g', "…" is not valid JSON`, with no position.
// A person fixing a plan needs a line and column, so after JSON.parse has failed this scanner walks the
// text again and says where and what. It only locates errors (it builds no values) and keeps its own
// stack, so a deeply nested document cannot overflow the call stack.

export interface JsonSyntaxError {
  offset: number;
  message: string;
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const LITERAL = /true|false|null/y;
const ESCAPES = '"\\/bfnrt';

const show = (c: string): string => (c === '\n' ? 'a line break' : JSON.stringify(c));

/** The first syntax error of `s`, or undefined when it is valid JSON. */
export function locateJsonError(s: string): JsonSyntaxError | undefined {
  let i = 0;
  const stack: string[] = []; // the closing bracket each open container expects
  type State = 'value' | 'valueOrClose' | 'key' | 'keyOrClose' | 'afterValue';
  let state: State = 'value';
  const at = (message: string): JsonSyntaxError => ({ offset: i, message });
  const skipSpace = () => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === '\n' || s[i] === '\r')) i++;
  };
  const string = (): JsonSyntaxError | undefined => {
    i++; // opening quote
    for (;;) {
      if (i >= s.length) return at('a string is not closed (missing ")');
      const c = s[i];
      if (c === '"') {
        i++;
        return undefined;
      }
      if (c === '\\') {
        const e = s[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(s.slice(i + 2, i + 6))) return at('\\u must be followed by 4 hex digits');
          i += 6;
        } else if (e !== undefined && ESCAPES.includes(e)) i += 2;
        else return at(`invalid escape \\${e ?? ''} in a string`);
        continue;
      }
      if (c < ' ') return at('a string contains a raw control character (write \\n for a line break)');
      i++;
    }
  };
  const match = (re: RegExp): boolean => {
    re.lastIndex = i;
    if (!re.test(s)) return false;
    i = re.lastIndex;
    return true;
  };

  for (;;) {
    skipSpace();
    const c = s[i];
    if (state === 'value' || state === 'valueOrClose') {
      if (c === undefined) return at('the document ends where a value is expected');
      if (state === 'valueOrClose' && c === ']') {
        stack.pop();
        i++;
        state = 'afterValue';
      } else if (c === '{' || c === '[') {
        stack.push(c === '{' ? '}' : ']');
        i++;
        state = c === '{' ? 'keyOrClose' : 'valueOrClose';
      } else if (c === '"') {
        const e = string();
        if (e) return e;
        state = 'afterValue';
      } else if (match(NUMBER) || match(LITERAL)) {
        state = 'afterValue';
      } else {
        return at(`unexpected ${show(c)} where a value is expected (strings need double quotes)`);
      }
    } else if (state === 'key' || state === 'keyOrClose') {
      if (c === undefined) return at('the document ends where a key is expected');
      if (state === 'keyOrClose' && c === '}') {
        stack.pop();
        i++;
        state = 'afterValue';
        continue;
      }
      if (c !== '"') return at(`expected a key in double quotes, found ${show(c)}`);
      const e = string();
      if (e) return e;
      skipSpace();
      if (s[i] !== ':') return at('expected ":" after the key');
      i++;
      state = 'value';
    } else {
      const close = stack[stack.length - 1];
      if (close === undefined) return c === undefined ? undefined : at(`unexpected ${show(c)} after the end of the document`);
      if (c === undefined) return at(`the document ends before the closing ${close}`);
      if (c === ',') {
        i++;
        state = close === '}' ? 'key' : 'value';
      } else if (c === close) {
        stack.pop();
        i++;
      } else {
        return at(`expected "," or "${close}", found ${show(c)}`);
      }
    }
  }
}
