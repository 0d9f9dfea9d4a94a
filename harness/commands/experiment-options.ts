import type { ConfigLayer, LabeledLayer } from '../config/load.ts';

/** The `experiment` flags as commander hands them over (strings until validated). */
export interface ExperimentFlags {
  matrix?: string;
  testbed?: string;
  config?: string;
  results?: string;
  trials?: string;
  intervals?: string;
  workloads?: string;
  duration?: string;
  warmup?: string;
  seed?: string;
  baseline?: boolean;
  freezer?: string;
  tracking?: string;
  netbuf?: string;
  dryRun?: boolean;
  resume?: string;
  force?: boolean;
  shard?: string;
}

/** A plain decimal: `25`, `-3`, `0.5`; not `0x19`, `1e3`, `''`, `Infinity` (all of which Number() takes). */
const DECIMAL = /^[+-]?\d+(\.\d+)?$/;

export function parseDecimal(text: string): number | null {
  const trimmed = text.trim();
  return DECIMAL.test(trimmed) ? Number(trimmed) : null;
}

/** A whole number in [min, max] from a flag, or every problem at once. */
export function wholeNumber(
  text: string | undefined,
  flag: string,
  min: number,
  max: number,
  problems: string[],
) {
  if (text === undefined) return undefined;
  const value = parseDecimal(text);
  if (value === null || !Number.isInteger(value) || value < min || value > max) {
    problems.push(`${flag}: got ${JSON.stringify(text)}; expected a whole number from ${min} to ${max}`);
    return undefined;
  }
  return value;
}

/** A number where the text is a plain decimal; else the text itself, so the schema reports the bad value. */
export function numberOrText(text: string): number | string {
  return parseDecimal(text) ?? text;
}

export function listOf(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/**
 * The config layer of the individual flags (they win over --matrix and --config), each field
 * labelled with the flag that set it so that errors say "(from --intervals)".
 */
export function flagsLayer(flags: ExperimentFlags): LabeledLayer {
  const layer: ConfigLayer = {};
  const matrix: ConfigLayer = {};
  const sources = new Map<string, string>();
  const set = (target: ConfigLayer, key: string, path: string, flag: string, value: unknown) => {
    target[key] = value;
    sources.set(path, flag);
  };
  if (flags.trials !== undefined)
    set(matrix, 'trials', 'matrix.trials', '--trials', numberOrText(flags.trials));
  if (flags.intervals !== undefined) {
    set(matrix, 'intervals', 'matrix.intervals', '--intervals', listOf(flags.intervals).map(numberOrText));
  }
  if (flags.workloads !== undefined)
    set(matrix, 'workloads', 'matrix.workloads', '--workloads', listOf(flags.workloads));
  if (flags.duration !== undefined)
    set(matrix, 'durationS', 'matrix.durationS', '--duration', numberOrText(flags.duration));
  if (flags.warmup !== undefined)
    set(matrix, 'warmupS', 'matrix.warmupS', '--warmup', numberOrText(flags.warmup));
  if (flags.seed !== undefined) set(matrix, 'seed', 'matrix.seed', '--seed', numberOrText(flags.seed));
  if (flags.baseline === false) set(matrix, 'baseline', 'matrix.baseline', '--no-baseline', false);
  if (Object.keys(matrix).length) layer.matrix = matrix;
  const testbedFlags = [flags.testbed, flags.freezer, flags.tracking, flags.netbuf];
  if (testbedFlags.some((flag) => flag !== undefined)) {
    const testbed: ConfigLayer = {};
    if (flags.testbed !== undefined) set(testbed, 'kind', 'testbed.kind', '--testbed', flags.testbed);
    const emulated: ConfigLayer = {};
    if (flags.freezer !== undefined) {
      emulated.freezer = flags.freezer;
      sources.set('testbed.emulated.freezer', '--freezer');
    }
    if (flags.tracking !== undefined) {
      emulated.tracking = flags.tracking;
      sources.set('testbed.emulated.tracking', '--tracking');
    }
    if (Object.keys(emulated).length) testbed.emulated = emulated;
    if (flags.netbuf !== undefined) {
      const on = { on: true, off: false }[flags.netbuf as 'on' | 'off'];
      testbed.xenLab = { networkBuffering: on ?? `${flags.netbuf} (expected on or off)` };
      sources.set('testbed.xenLab.networkBuffering', '--netbuf');
    }
    layer.testbed = testbed;
  }
  if (flags.results !== undefined) set(layer, 'results', 'results', '--results', flags.results);
  return { layer, sources };
}
