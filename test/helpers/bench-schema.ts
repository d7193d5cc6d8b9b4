/**
 * A JSON Schema checker for the subset report-schema.ts uses (type, const, enum, required,
 * properties, additionalProperties: false, items, oneOf, minimum, pattern). Returns the problems
 * found, each with its JSON path, so a failing test says exactly which field drifted.
 */
type Schema = Record<string, unknown>;

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

export function checkSchema(schema: Schema, value: unknown, path = '$'): string[] {
  const errors: string[] = [];
  if ('oneOf' in schema) {
    const matching = (schema.oneOf as Schema[]).filter((s) => checkSchema(s, value, path).length === 0);
    if (matching.length !== 1) errors.push(`${path}: matches ${matching.length} of oneOf, expected 1`);
    return errors;
  }
  if ('const' in schema && value !== schema.const) errors.push(`${path}: ${JSON.stringify(value)} is not ${JSON.stringify(schema.const)}`);
  if ('enum' in schema && !(schema.enum as unknown[]).includes(value)) errors.push(`${path}: ${JSON.stringify(value)} not in enum`);
  if ('type' in schema) {
    const t = typeOf(value);
    const ok = schema.type === t || (schema.type === 'number' && t === 'integer');
    if (!ok) return [...errors, `${path}: is ${t}, expected ${String(schema.type)}`];
  }
  if (typeof schema.minimum === 'number' && typeof value === 'number' && value < schema.minimum) errors.push(`${path}: ${value} < ${schema.minimum}`);
  if (typeof schema.pattern === 'string' && typeof value === 'string' && !new RegExp(schema.pattern).test(value)) errors.push(`${path}: '${value}' does not match ${schema.pattern}`);
  if (typeOf(value) === 'object') {
    const obj = value as Record<string, unknown>;
    for (const key of (schema.required as string[] | undefined) ?? []) if (!(key in obj)) errors.push(`${path}: missing '${key}'`);
    const props = (schema.properties as Record<string, Schema> | undefined) ?? {};
    for (const [key, v] of Object.entries(obj)) {
      if (props[key]) errors.push(...checkSchema(props[key], v, `${path}.${key}`));
      else if (schema.additionalProperties === false) errors.push(`${path}: unexpected '${key}'`);
    }
  }
  if (Array.isArray(value) && schema.items) value.forEach((item, i) => errors.push(...checkSchema(schema.items as Schema, item, `${path}[${i}]`)));
  return errors;
}
