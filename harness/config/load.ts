import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { UserError } from '../errors.ts';
import { DEFAULT_CONFIG, MATRIX_PRESETS, TESTBED_DEFAULTS } from './presets.ts';
import { type Config, configSchema, type TestbedName } from './schema.ts';

/** A partial config: what a file, a preset or the CLI contributes. Validated only after merging. */
export type ConfigLayer = Record<string, unknown>;

/** Where a layer came from, so that an error can say "from --intervals" or "from lab.json". */
export interface LabeledLayer {
  layer: ConfigLayer;
  /** Label per dot path (or path prefix) of the fields this layer set. */
  sources: Map<string, string>;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Deep merge of plain objects; arrays and scalars of `over` replace those of `base`. */
export function mergeLayers(base: ConfigLayer, over: ConfigLayer): ConfigLayer {
  const out: ConfigLayer = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (value === undefined) continue;
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? mergeLayers(current, value) : value;
  }
  return out;
}

/** Reads a JSON file into a layer; a missing file or bad JSON is a UserError naming the path. */
export function readJsonLayer(path: string, what: string): ConfigLayer {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new UserError(`${what} ${path} cannot be read (${code}); check the path.`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UserError(
      `${what} ${path} is not valid JSON: ${(error as Error).message}. Fix the file; see README.md for an example.`,
    );
  }
  if (!isPlainObject(parsed)) {
    throw new UserError(`${what} ${path} must hold a JSON object ({ ... }), got ${describeValue(parsed)}.`);
  }
  return parsed;
}

/** The matrix part of `--matrix quick|full|<file>`. */
export function matrixLayer(spec: string): { layer: ConfigLayer; label: string } {
  const preset = MATRIX_PRESETS[spec];
  if (preset) return { layer: { matrix: preset }, label: `--matrix ${spec}` };
  const fileLayer = readJsonLayer(spec, 'Matrix file');
  // A matrix file may hold the matrix fields directly or under "matrix", and nothing else: other
  // sections belong in --config. It sets only the fields it holds (over --config, under the
  // flags); the others keep their values from --config or the defaults.
  if (isPlainObject(fileLayer.matrix)) {
    const others = Object.keys(fileLayer).filter((key) => key !== 'matrix');
    if (others.length) {
      throw new UserError(
        `Matrix file ${spec}: ${others.map((k) => JSON.stringify(k)).join(', ')} outside "matrix"; a matrix file holds matrix fields only (put other sections into --config).`,
      );
    }
    return { layer: { matrix: fileLayer.matrix }, label: spec };
  }
  return { layer: { matrix: fileLayer }, label: spec };
}

export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value);
  const json = JSON.stringify(value);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node: unknown = root;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

/** The label of the layer that set `dotPath`, by the longest matching prefix. */
function sourceOf(dotPath: string, sources: Map<string, string>): string | undefined {
  let best: string | undefined;
  let bestLength = -1;
  for (const [prefix, label] of sources) {
    const matches = dotPath === prefix || dotPath.startsWith(`${prefix}.`);
    if (matches && prefix.length > bestLength) {
      best = label;
      bestLength = prefix.length;
    }
  }
  return best;
}

export interface ConfigProblem {
  path: string;
  value: unknown;
  expected: string;
  source?: string;
}

/** Turns zod issues into one problem per field, with the value the user gave. */
export function toProblems(
  issues: readonly z.core.$ZodIssue[],
  input: unknown,
  sources: Map<string, string>,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const path = [...issue.path, key].join('.');
        problems.push({
          path,
          value: valueAt(input, [...issue.path, key]),
          expected: 'no such field (a typo?); remove it',
          source: sourceOf(path, sources),
        });
      }
      continue;
    }
    const path = issue.path.join('.') || '(root)';
    problems.push({
      path,
      value: valueAt(input, issue.path),
      expected: issue.message,
      source: sourceOf(path, sources),
    });
  }
  return problems;
}

export function formatProblems(problems: readonly ConfigProblem[]): string {
  const lines = problems.map((p) => {
    const from = p.source ? ` (from ${p.source})` : '';
    return `  - ${p.path}${from}: got ${describeValue(p.value)}; ${p.expected}`;
  });
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  return `Invalid configuration (${count}); nothing was started:\n${lines.join('\n')}`;
}

/** Validates merged layers; every invalid field is reported at once (UserError, exit code 2). */
export function validateConfig(merged: ConfigLayer, sources: Map<string, string>): Config {
  const result = configSchema.safeParse(merged);
  if (result.success) return result.data;
  throw new UserError(formatProblems(toProblems(result.error.issues, merged, sources)));
}

/** Records every leaf path of a layer as set by `label`. */
export function labelLayer(layer: ConfigLayer, label: string): LabeledLayer {
  const sources = new Map<string, string>();
  const walk = (node: unknown, prefix: string) => {
    if (isPlainObject(node)) {
      for (const [key, value] of Object.entries(node)) walk(value, prefix ? `${prefix}.${key}` : key);
    } else if (prefix) {
      sources.set(prefix, label);
    }
  };
  walk(layer, '');
  return { layer, sources };
}

/** Merges labelled layers over the defaults (later layers win) and validates the result. */
export function resolveConfig(layers: readonly LabeledLayer[], base: ConfigLayer = DEFAULT_CONFIG): Config {
  const mergeAll = (start: ConfigLayer) =>
    layers.reduce((merged, { layer }) => mergeLayers(merged, layer), start);
  let merged = mergeAll(base);
  // The testbed's own defaults go under the user's layers, so an explicit value still wins.
  const kind = (merged.testbed as { kind?: unknown } | undefined)?.kind;
  const testbedDefaults = typeof kind === 'string' ? TESTBED_DEFAULTS[kind as TestbedName] : undefined;
  if (testbedDefaults) merged = mergeAll(mergeLayers(base, testbedDefaults));
  const sources = new Map<string, string>();
  for (const { sources: layerSources } of layers)
    for (const [path, label] of layerSources) sources.set(path, label);
  return validateConfig(merged, sources);
}
