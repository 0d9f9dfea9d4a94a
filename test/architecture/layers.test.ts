import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../harness/version.ts';

/**
 * The layers of the code, checked on its imports: every `from '...'` and `import('...')` with a
 * literal relative path in the source folders. A part is a top folder (analysis, reports,
 * workloads) or a folder under harness/ (harness/run, harness/store, ...); files directly in
 * harness/ (errors, version, cli) are the leaves `harness`, except cli.ts, the top.
 */
const SOURCE_ROOTS = ['harness', 'analysis', 'reports', 'workloads'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : sourceFiles(path);
    return /\.(ts|mjs)$/.test(name) ? [path] : [];
  });
}

function partOf(file: string): string {
  const [top, second] = relative(PROJECT_ROOT, file).split('/');
  if (top !== 'harness') return top as string;
  if (second === 'cli.ts') return 'harness/cli';
  return second?.endsWith('.ts') ? 'harness' : `harness/${second}`;
}

interface Edge {
  from: string;
  to: string;
  /** `import type`, or every name imported with `type`: erased at run time. */
  typeOnly: boolean;
}

/** Every import and re-export with a relative path: static ones with their names, and import('...'). */
const IMPORT =
  /(import|export)\s+(type\s+)?([^'";]*?)\s*from\s+['"](\.{1,2}\/[^'"]+)['"]|import\s*\(\s*['"](\.{1,2}\/[^'"]+)['"]/g;

function isTypeOnly(typeKeyword: string | undefined, names: string): boolean {
  if (typeKeyword) return true;
  const braces = /^\{([^}]*)\}$/.exec(names.trim());
  if (!braces) return false;
  const specifiers = (braces[1] as string)
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  return specifiers.length > 0 && specifiers.every((n) => n.startsWith('type '));
}

function importEdges(): Edge[] {
  const edges: Edge[] = [];
  for (const root of SOURCE_ROOTS) {
    for (const file of sourceFiles(join(PROJECT_ROOT, root))) {
      for (const match of readFileSync(file, 'utf8').matchAll(IMPORT)) {
        const [, , typeKeyword, names, staticPath, dynamicPath] = match;
        const target = resolve(dirname(file), (staticPath ?? dynamicPath) as string);
        edges.push({
          from: relative(PROJECT_ROOT, file),
          to: relative(PROJECT_ROOT, target),
          typeOnly: staticPath !== undefined && isTypeOnly(typeKeyword, names ?? ''),
        });
      }
    }
  }
  return edges;
}

/** Cycles of a directed graph, each as "a -> b -> a". */
function cyclesOf(graph: Map<string, Set<string>>): string[] {
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (node: string, path: string[]) => {
    if (state.get(node) === 'done') return;
    if (state.get(node) === 'open') {
      cycles.push([...path.slice(path.indexOf(node)), node].join(' -> '));
      return;
    }
    state.set(node, 'open');
    for (const next of graph.get(node) ?? []) visit(next, [...path, node]);
    state.set(node, 'done');
  };
  for (const node of graph.keys()) visit(node, []);
  return cycles;
}

function graphOf(pairs: [string, string][]): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const [a, b] of pairs) {
    if (a === b) continue;
    if (!graph.has(a)) graph.set(a, new Set());
    graph.get(a)?.add(b);
  }
  return graph;
}

const edges = importEdges();
const crossing = (from: string, to: string) =>
  edges.filter((e) => partOf(join(PROJECT_ROOT, e.from)) === from && partOf(join(PROJECT_ROOT, e.to)) === to);

/** [from, to, why]: imports that must not exist. */
const NEVER: [string, string, string][] = [];
for (const lower of ['analysis', 'reports', 'harness/store', 'harness/plan'])
  for (const higher of ['harness/run', 'harness/commands', 'harness/testbeds', 'harness/cli'])
    NEVER.push([lower, higher, 'lower layers never import the run loop, the commands or the testbeds']);
NEVER.push(
  ['harness/run', 'reports', 'the run loop does not render (the command writes the reports)'],
  ['harness/testbeds', 'workloads', 'a testbed knows no workload'],
  ['workloads', 'harness/run', 'a workload knows no runner'],
  ['workloads', 'harness/commands', 'a workload knows no command'],
  ['harness/testbeds', 'analysis', 'collection does not depend on post-hoc analysis'],
  ['workloads', 'analysis', 'collection does not depend on post-hoc analysis'],
  ['harness/testbeds', 'reports', 'no presentation in mechanisms'],
  ['harness/lab', 'harness/testbeds', 'the lab is a leaf the xen-lab testbed uses'],
  ['harness/plan', 'harness/remote', 'planning is pure'],
  ['analysis', 'harness/remote', 'analysis reads stored data only'],
);

describe('layers (imports only point down)', () => {
  it('reads the imports of every source file', () => {
    // A sanity check that the pattern sees the code: the run loop imports the store.
    expect(crossing('harness/run', 'harness/store').length).toBeGreaterThan(0);
    expect(edges.length).toBeGreaterThan(300);
  });

  it.each(NEVER)('%s never imports %s (%s)', (from, to) => {
    expect(crossing(from, to).map((e) => `${e.from} -> ${e.to}`)).toEqual([]);
  });

  it('has no cycle between modules, type imports included', () => {
    expect(cyclesOf(graphOf(edges.map((e) => [e.from, e.to])))).toEqual([]);
  });

  it('has no cycle between parts at run time', () => {
    // Type imports may point back up a part (the config's type names each workload's section, and a
    // workload's module uses the store's metric spec type); what runs may not.
    const partPairs = edges
      .filter((e) => !e.typeOnly)
      .map((e): [string, string] => [partOf(join(PROJECT_ROOT, e.from)), partOf(join(PROJECT_ROOT, e.to))]);
    expect(cyclesOf(graphOf(partPairs))).toEqual([]);
  });

  it('tells type imports from the others', () => {
    const typeOnly = (from: string, to: string) =>
      edges.find((e) => e.from === from && e.to === to)?.typeOnly;
    expect(typeOnly('harness/run/trial.ts', 'harness/testbeds/testbed.ts')).toBe(true);
    expect(typeOnly('harness/run/run-locks.ts', 'harness/store/lock.ts')).toBe(false);
  });
});
