/**
 * No module of src/ imports itself through others: a cycle makes load order decide what a module sees
 * (an import undefined at load time) and ties features together. Every import counts, `import type`
 * and `export … from` included, read with the TypeScript compiler's own pre-processor.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';

const SRC = path.resolve(__dirname, '..', '..', 'src');

/**
 * Cycles that exist and are owned by other work in progress: each one must still exist (so the entry
 * goes when the cycle does), and no other cycle is allowed. core/store.ts (the store contract) takes
 * IncompleteCause and DroppedDefinition from core/catalogTypes.ts, which takes SecretMeta back from it;
 * both imports are type-only.
 */
function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(file);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [file] : [];
  });
}

/** The files of src/ a file imports (relative specifiers only: packages can't import src/). */
function importsOf(file: string): string[] {
  const { importedFiles } = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
  return importedFiles
    .map((imported) => imported.fileName)
    .filter((specifier) => specifier.startsWith('.'))
    .map((specifier) => resolve(path.resolve(path.dirname(file), specifier)))
    .filter((resolved): resolved is string => resolved !== undefined);
}

function resolve(base: string): string | undefined {
  return [`${base}.ts`, path.join(base, 'index.ts'), base].find((candidate) => fs.existsSync(candidate) && fs.statSync(candidate).isFile());
}

export function importGraph(files: string[]): Map<string, string[]> {
  return new Map(files.map((file) => [file, importsOf(file)]));
}

/** Each cycle once, as the path that closes it (a → b → a), found by depth-first search. */
export function findCycles(graph: Map<string, string[]>): string[][] {
  const cycles: string[][] = [];
  const done = new Set<string>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const visit = (file: string) => {
    stack.push(file);
    onStack.add(file);
    for (const next of graph.get(file) ?? []) {
      if (onStack.has(next)) cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!done.has(next)) visit(next);
    }
    stack.pop();
    onStack.delete(file);
    done.add(file);
  };
  for (const file of graph.keys()) if (!done.has(file)) visit(file);
  return cycles;
}

describe('imports in src/', () => {
  const cycles = () => {
    const graph = importGraph(sourceFiles(SRC));
    assert.ok(graph.size > 50, `only ${graph.size} files found`);
    return findCycles(graph).map((cycle) => cycle.map((file) => path.relative(SRC, file)).join(' → '));
  };

  it('form no cycle', () => {
    assert.deepEqual(cycles(), []);
  });

  it('are all read: type imports, re-exports and imports of a folder count', () => {
    const files = sourceFiles(SRC);
    const extension = path.join(SRC, 'extension', 'extension.ts');
    assert.ok(importsOf(extension).includes(path.join(SRC, 'extension', 'api.ts')));
    const withTypeImports = files.filter((file) => /^import type .* from '\.\.?\//m.test(fs.readFileSync(file, 'utf8')));
    assert.ok(withTypeImports.length > 0);
    for (const file of withTypeImports) {
      const typeOnly = [...fs.readFileSync(file, 'utf8').matchAll(/^import type .* from '(\.\.?\/[^']+)'/gm)].map((match) => match[1]);
      for (const specifier of typeOnly)
        assert.ok(importsOf(file).includes(resolve(path.resolve(path.dirname(file), specifier)) ?? ''), `${file}: ${specifier}`);
    }
  });

  it('finds a cycle when there is one', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a', 'd']],
      ['d', []],
    ]);
    assert.deepEqual(findCycles(graph), [['a', 'b', 'c', 'a']]);
    assert.deepEqual(findCycles(new Map([['a', ['a']]])), [['a', 'a']]);
    assert.deepEqual(
      findCycles(
        new Map([
          ['a', ['b']],
          ['b', []],
        ]),
      ),
      [],
    );
  });
});
