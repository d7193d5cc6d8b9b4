import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// Issue 11: the shape of src stays as designed. Imports flow one way:
//   entry (cli/main.ts, cli/program.ts, cli/generated-files.ts: they assemble the command tree)
//   -> commands -> cli -> (broker | bench | sniff) -> (client | auth | output) -> core
// A file may import its own area and any lower layer; nothing sideways inside a layer except
// broker -> auth (the broker checks passwords with the password-file code), and no cycles at all.
// Type-only and dynamic imports count: a cycle through types is still a knot to untie.

const SRC = path.resolve(__dirname, '../../src');
const ENTRY = new Set(['cli/main.ts', 'cli/program.ts', 'cli/generated-files.ts']);
const LAYER: Record<string, number> = { commands: 1, cli: 2, broker: 3, bench: 3, sniff: 3, client: 4, auth: 4, output: 4, core: 5 };
const SIDEWAYS_ALLOWED = new Set(['broker->auth']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/**
 * Every module specifier one source names: static `import` and `export ... from`, type-only ones
 * too, side-effect `import './x.js'`, dynamic `import()` and `typeof import()` types. Read with
 * the TypeScript compiler's own parser (already a dev dependency): a regular expression loses an
 * import whose braces hold a comment with an apostrophe, and takes text inside a template string
 * or a comment for one. A dynamic import of anything but a string literal is returned as
 * NOT_LITERAL, which the graph refuses (the test could not follow it).
 */
const NOT_LITERAL = '<not a string literal>';
function specifiersOf(text: string): string[] {
  const out: string[] = [];
  const literal = (node: ts.Node | undefined) => (node && ts.isStringLiteralLike(node) ? node.text : NOT_LITERAL);
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) out.push(literal(node.moduleSpecifier));
    else if (ts.isExportDeclaration(node) && node.moduleSpecifier) out.push(literal(node.moduleSpecifier));
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) out.push(literal(node.moduleReference.expression));
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) out.push(literal(node.arguments[0]));
    else if (ts.isImportTypeNode(node)) out.push(ts.isLiteralTypeNode(node.argument) ? literal(node.argument.literal) : NOT_LITERAL);
    ts.forEachChild(node, visit);
  };
  visit(ts.createSourceFile('file.ts', text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS));
  return out;
}

/** Relative imports of one file, as paths under src (".js" specifiers name the ".ts" files). */
function importsOf(file: string, text: string): string[] {
  const out: string[] = [];
  for (const spec of specifiersOf(text)) {
    if (spec === NOT_LITERAL) {
      out.push(spec);
      continue;
    }
    if (!spec.startsWith('.')) continue; // a package or a node: builtin
    let target = path.resolve(path.dirname(file), spec).replace(/\.js$/, '.ts');
    if (!existsSync(target) && existsSync(path.join(target.replace(/\.ts$/, ''), 'index.ts'))) target = path.join(target.replace(/\.ts$/, ''), 'index.ts');
    out.push(path.relative(SRC, target));
  }
  return out;
}

function layerOf(rel: string): { area: string; rank: number } {
  if (ENTRY.has(rel)) return { area: 'entry', rank: 0 };
  const area = rel.split('/')[0]!;
  return { area, rank: LAYER[area] ?? -1 };
}

/** Cycles as strongly connected components of more than one file (or a file importing itself). */
function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

const graph = new Map<string, string[]>();
for (const file of sourceFiles(SRC)) graph.set(path.relative(SRC, file), importsOf(file, readFileSync(file, 'utf8')));

describe('the import shape of src (issue 11)', () => {
  it('reads every file and finds its imports (the parser is not blind)', () => {
    expect(graph.size).toBeGreaterThan(200);
    expect(graph.get('cli/main.ts')).toContain('cli/program.ts');
    // a dynamic import and a type-only import are both seen
    expect(graph.get('cli/program.ts')).toContain('commands/pub.ts');
    expect(graph.get('client/config.ts')).toContain('core/protocol/types.ts');
  });

  it('every import names a file that exists', () => {
    const missing = [...graph].flatMap(([from, deps]) => deps.filter((d) => !graph.has(d)).map((d) => `${from} -> ${d}`));
    expect(missing).toEqual([]);
  });

  it('every file is in a known layer', () => {
    expect([...graph.keys()].filter((f) => layerOf(f).rank < 0)).toEqual([]);
  });

  it('has no import cycle', () => {
    expect(cycles(graph).map((c) => c.join(' <-> '))).toEqual([]);
  });

  it('imports only downward, or within the same area (broker -> auth aside)', () => {
    const wrong: string[] = [];
    for (const [from, deps] of graph) {
      const a = layerOf(from);
      for (const to of deps) {
        const b = layerOf(to);
        const upward = b.rank < a.rank;
        const sideways = b.rank === a.rank && a.area !== b.area && !SIDEWAYS_ALLOWED.has(`${a.area}->${b.area}`);
        if (upward || sideways) wrong.push(`${from} -> ${to} (${a.area} -> ${b.area})`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('the parser sees every kind of import, and none in comments or strings', () => {
    const text = [
      "import { a } from './a.js';",
      "import type { B } from './b.js';",
      "import {\n  c, // the broker's view\n  type C,\n} from './c.js';",
      "import './side-effect.js';",
      "export * from './e.js';",
      "export type { F } from './f.js';",
      "const g = await import('./g.js');",
      "let h: typeof import('./h.js');",
      "import x = require('./i.js');",
      "// import { j } from './j.js';",
      "/* import('./k.js') */",
      "const l = `\nimport { l } from './l.js'`;",
      "import { m } from 'node:fs';",
      'const n = await import(name);',
    ].join('\n');
    expect(specifiersOf(text)).toEqual(['./a.js', './b.js', './c.js', './side-effect.js', './e.js', './f.js', './g.js', './h.js', './i.js', 'node:fs', NOT_LITERAL]);
  });

  it('the checks catch a cycle and an upward import when there is one', () => {
    const knot = new Map([['a.ts', ['b.ts']], ['b.ts', ['c.ts']], ['c.ts', ['a.ts']], ['d.ts', ['a.ts']]]);
    expect(cycles(knot)).toEqual([['a.ts', 'b.ts', 'c.ts']]);
    expect(layerOf('core/x.ts').rank).toBeGreaterThan(layerOf('client/y.ts').rank);
    expect(layerOf('cli/program.ts').area).toBe('entry');
  });
});
