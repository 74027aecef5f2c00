// The import graph of src/ has no cycle: each file's imports (static,
// re-exports and dynamic) are parsed from its text and resolved to files.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../src');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sources(p);
    return /\.ts$/.test(name) && !/\.d\.ts$/.test(name) ? [p] : [];
  });
}

/** The relative module specifiers of a file: `import ... from`, `export ... from`, `import '...'`, `import('...')`. */
export function specifiers(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const out: string[] = [];
  const patterns = [/\b(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*['"]([^'"]+)['"]/g, /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g];
  for (const re of patterns) for (const m of code.matchAll(re)) if (m[1]!.startsWith('.')) out.push(m[1]!);
  return out;
}

function resolveImport(from: string, spec: string, files: Set<string>): string | undefined {
  const base = resolve(dirname(from), spec);
  for (const c of [base.replace(/\.js$/, '.ts'), base, `${base}.ts`, join(base, 'index.ts')]) if (files.has(c)) return c;
  return undefined;
}

/** A cycle in the graph as a list of files (first = last), or undefined. */
export function findCycle(graph: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, 1 | 2>(); // 1: on the stack, 2: done
  const stack: string[] = [];
  const visit = (n: string): string[] | undefined => {
    state.set(n, 1);
    stack.push(n);
    for (const m of graph.get(n) ?? []) {
      if (state.get(m) === 1) return [...stack.slice(stack.indexOf(m)), m];
      if (!state.has(m)) {
        const c = visit(m);
        if (c) return c;
      }
    }
    stack.pop();
    state.set(n, 2);
    return undefined;
  };
  for (const n of graph.keys()) {
    if (!state.has(n)) {
      const c = visit(n);
      if (c) return c;
    }
  }
  return undefined;
}

describe('import graph of src/', () => {
  const files = new Set(sources(root));
  const graph = new Map<string, string[]>();
  for (const f of files) {
    graph.set(
      f,
      specifiers(readFileSync(f, 'utf8'))
        .map((s) => resolveImport(f, s, files))
        .filter((x): x is string => x !== undefined),
    );
  }

  it('parses the imports of every file', () => {
    expect(files.size).toBeGreaterThan(50);
    expect(graph.get(join(root, 'index.ts'))).toContain(join(root, 'optimizer.ts'));
    const edges = [...graph.values()].reduce((a, e) => a + e.length, 0);
    expect(edges).toBeGreaterThan(files.size);
  });

  it('the parser and the cycle search see what they should', () => {
    expect(specifiers(`import { a } from './a.js';\nimport type {\n  B,\n} from '../b.js';\nexport * from './c.js';\nimport './d.js';\nconst e = await import('./e.js');\n// import { f } from './f.js';\nimport x from 'crc-32';`)).toEqual(
      ['./a.js', '../b.js', './c.js', './d.js', './e.js'],
    );
    expect(findCycle(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']]]))).toEqual(['a', 'b', 'c', 'a']);
    expect(findCycle(new Map([['a', ['b', 'c']], ['b', ['c']], ['c', []]]))).toBeUndefined();
  });

  it('has no cycle', () => {
    const cycle = findCycle(graph);
    expect(cycle?.map((f) => relative(root, f)).join(' -> ')).toBeUndefined();
  });
});
