/**
 * Just enough of OData `$filter` to answer what Defender documents (and what peers use in production): comparisons
 * (`eq ne gt ge lt le`) on strings, numbers and DateTimeOffset values, `and`/`or`/`not`, parentheses, `in (...)`, and
 * the `any` lambda on string collections (`machineTags/any(t: t eq 'x')`). Field names match case-insensitively.
 */

export class ODataSyntaxError extends Error {
  override readonly name = 'ODataSyntaxError';
}

type Literal = { kind: 'string'; value: string } | { kind: 'number'; value: number } | { kind: 'date'; value: number };

export type FilterNode =
  | { kind: 'cmp'; op: 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le'; field: string; value: Literal }
  | { kind: 'in'; field: string; values: Literal[] }
  | { kind: 'any'; field: string; variable: string; body: FilterNode }
  | { kind: 'and' | 'or'; left: FilterNode; right: FilterNode }
  | { kind: 'not'; operand: FilterNode };

type Token = { t: 'id'; v: string } | { t: 'str'; v: string } | { t: 'lit'; v: string } | { t: 'p'; v: string };

const DATE = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:\d{2})?$/;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'") {
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) throw new ODataSyntaxError('unterminated string literal');
        if (text[i] === "'") {
          if (text[i + 1] === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += text[i++];
      }
      tokens.push({ t: 'str', v: value });
    } else if ('(),:'.includes(c)) {
      tokens.push({ t: 'p', v: c });
      i++;
    } else {
      const m = /^[A-Za-z_][A-Za-z0-9_/]*|^[0-9][0-9TZ:.+-]*/.exec(text.slice(i));
      if (!m) throw new ODataSyntaxError(`unexpected character ${JSON.stringify(c)} at ${i}`);
      const word = m[0];
      tokens.push(/^[0-9]/.test(word) ? { t: 'lit', v: word } : { t: 'id', v: word });
      i += word.length;
    }
  }
  return tokens;
}

export function parseFilter(text: string): FilterNode {
  const tokens = tokenize(text);
  let pos = 0;
  const peek = () => tokens[pos];
  const next = () => {
    const token = tokens[pos++];
    if (!token) throw new ODataSyntaxError('unexpected end of filter');
    return token;
  };
  const expect = (v: string) => {
    const token = next();
    if (token.t !== 'p' || token.v !== v) throw new ODataSyntaxError(`expected "${v}"`);
  };
  const isWord = (token: Token | undefined, word: string) => token?.t === 'id' && token.v.toLowerCase() === word;

  const literal = (): Literal => {
    const token = next();
    if (token.t === 'str') return { kind: 'string', value: token.v };
    if (token.t === 'lit') {
      if (DATE.test(token.v) && token.v.includes('-')) {
        const value = Date.parse(token.v);
        if (Number.isNaN(value)) throw new ODataSyntaxError(`bad date ${token.v}`);
        return { kind: 'date', value };
      }
      const value = Number(token.v);
      if (Number.isNaN(value)) throw new ODataSyntaxError(`bad literal ${token.v}`);
      return { kind: 'number', value };
    }
    throw new ODataSyntaxError('expected a literal');
  };

  const primary = (): FilterNode => {
    const token = peek();
    if (token?.t === 'p' && token.v === '(') {
      next();
      const inner = or();
      expect(')');
      return inner;
    }
    if (isWord(token, 'not')) {
      next();
      return { kind: 'not', operand: primary() };
    }
    const fieldToken = next();
    if (fieldToken.t !== 'id') throw new ODataSyntaxError('expected a field name');
    const anyMatch = /^(.+)\/any$/i.exec(fieldToken.v);
    if (anyMatch) {
      expect('(');
      const variable = next();
      if (variable.t !== 'id') throw new ODataSyntaxError('expected a lambda variable');
      expect(':');
      const body = or();
      expect(')');
      return { kind: 'any', field: anyMatch[1]!, variable: variable.v, body };
    }
    const opToken = next();
    const op = opToken.t === 'id' ? opToken.v.toLowerCase() : '';
    if (op === 'in') {
      expect('(');
      const values = [literal()];
      while (peek()?.t === 'p' && peek()?.v === ',') {
        next();
        values.push(literal());
      }
      expect(')');
      return { kind: 'in', field: fieldToken.v, values };
    }
    if (op !== 'eq' && op !== 'ne' && op !== 'gt' && op !== 'ge' && op !== 'lt' && op !== 'le') {
      throw new ODataSyntaxError(`unknown operator ${JSON.stringify(opToken.v)}`);
    }
    return { kind: 'cmp', op, field: fieldToken.v, value: literal() };
  };

  /** `operand (op operand)*`, left-associative: `and` binds tighter than `or`. */
  const chain = (op: 'and' | 'or', operand: () => FilterNode) => (): FilterNode => {
    let left = operand();
    while (isWord(peek(), op)) {
      next();
      left = { kind: op, left, right: operand() };
    }
    return left;
  };
  const and = chain('and', () => primary());
  const or = chain('or', and);

  const tree = or();
  if (pos !== tokens.length) throw new ODataSyntaxError('unexpected text after the filter');
  return tree;
}

/** Field names used in a filter, for checking them against an endpoint's filterable fields. */
export function filterFields(node: FilterNode): string[] {
  switch (node.kind) {
    case 'cmp':
    case 'in':
      return [node.field];
    case 'any':
      return [node.field];
    case 'and':
    case 'or':
      return [...filterFields(node.left), ...filterFields(node.right)];
    case 'not':
      return filterFields(node.operand);
  }
}

function lookup(entity: Record<string, unknown>, field: string, scope: Record<string, unknown>): unknown {
  if (Object.hasOwn(scope, field)) return scope[field];
  const key = Object.keys(entity).find((k) => k.toLowerCase() === field.toLowerCase());
  return key === undefined ? undefined : entity[key];
}

function compare(actual: unknown, literal: Literal): number | undefined {
  if (actual == null) return undefined;
  if (literal.kind === 'date') {
    const time = typeof actual === 'string' ? Date.parse(actual) : Number.NaN;
    return Number.isNaN(time) ? undefined : time - literal.value;
  }
  if (literal.kind === 'number') {
    // Defender documents some ids as strings and answers them as numbers (rbacGroupId): a number matches either.
    const value = typeof actual === 'string' && actual.trim() !== '' ? Number(actual) : actual;
    return typeof value === 'number' && !Number.isNaN(value) ? value - literal.value : undefined;
  }
  // OData string comparison in MDE is case-insensitive for enum-like values such as status and type.
  const a = String(actual).toLowerCase();
  const b = literal.value.toLowerCase();
  return a === b ? 0 : a < b ? -1 : 1;
}

export function matches(
  node: FilterNode,
  entity: Record<string, unknown>,
  scope: Record<string, unknown> = {},
): boolean {
  switch (node.kind) {
    case 'and':
      return matches(node.left, entity, scope) && matches(node.right, entity, scope);
    case 'or':
      return matches(node.left, entity, scope) || matches(node.right, entity, scope);
    case 'not':
      return !matches(node.operand, entity, scope);
    case 'in':
      return node.values.some((v) => compare(lookup(entity, node.field, scope), v) === 0);
    case 'any': {
      const collection = lookup(entity, node.field, scope);
      if (!Array.isArray(collection)) return false;
      return collection.some((item) => matches(node.body, entity, { ...scope, [node.variable]: item }));
    }
    case 'cmp': {
      const c = compare(lookup(entity, node.field, scope), node.value);
      if (c === undefined) return node.op === 'ne';
      switch (node.op) {
        case 'eq':
          return c === 0;
        case 'ne':
          return c !== 0;
        case 'gt':
          return c > 0;
        case 'ge':
          return c >= 0;
        case 'lt':
          return c < 0;
        case 'le':
          return c <= 0;
      }
    }
  }
}
