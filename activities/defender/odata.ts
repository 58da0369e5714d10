/**
 * A small builder for the OData `$filter` expressions Defender documents. Values are always quoted and escaped here,
 * so a machine id or comment can never change the shape of a query.
 */

export type ODataFilter = string & { readonly __odata: unique symbol };

const FIELD = /^[A-Za-z][A-Za-z0-9]*$/;

function field(name: string): string {
  if (!FIELD.test(name)) throw new Error(`not an OData field name: ${JSON.stringify(name)}`);
  return name;
}

function quote(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

function dateTime(value: Date | string): string {
  const date = typeof value === 'string' ? new Date(value) : value;
  if (Number.isNaN(date.getTime())) throw new Error(`not a date: ${String(value)}`);
  return date.toISOString();
}

export const odata = {
  eq: (name: string, value: string) => `${field(name)} eq ${quote(value)}` as ODataFilter,
  ne: (name: string, value: string) => `${field(name)} ne ${quote(value)}` as ODataFilter,
  /** Greater or equal on a DateTimeOffset field (`creationDateTimeUtc ge 2024-01-01T00:00:00.000Z`). */
  since: (name: string, value: Date | string) => `${field(name)} ge ${dateTime(value)}` as ODataFilter,
  before: (name: string, value: Date | string) => `${field(name)} lt ${dateTime(value)}` as ODataFilter,
  /** Integer equality (`rbacGroupId eq 42`). */
  eqNumber: (name: string, value: number) => {
    if (!Number.isSafeInteger(value)) throw new Error(`not an integer: ${value}`);
    return `${field(name)} eq ${value}` as ODataFilter;
  },
  /** A string collection contains a value (`machineTags/any(t: t eq 'finance')`). */
  contains: (name: string, value: string) => `${field(name)}/any(t: t eq ${quote(value)})` as ODataFilter,
  and: (...parts: ODataFilter[]) => join(parts, 'and'),
  or: (...parts: ODataFilter[]) => join(parts, 'or'),
  /** `field eq 'a' or field eq 'b'`, the documented form of `in`. */
  anyOf: (name: string, values: readonly string[]) =>
    join(
      values.map((v) => odata.eq(name, v)),
      'or',
    ),
};

function join(parts: ODataFilter[], op: 'and' | 'or'): ODataFilter {
  if (parts.length === 0) throw new Error(`odata.${op} needs at least one operand`);
  if (parts.length === 1) return parts[0]!;
  return parts.map((p) => `(${p})`).join(` ${op} `) as ODataFilter;
}
