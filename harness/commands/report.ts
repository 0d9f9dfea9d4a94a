import { type ReportFlags, reportRun } from '../../reports/generate.ts';
import { DEFAULT_CONFIG } from '../config/presets.ts';
import { findRunDir } from '../store/run-dir.ts';

export async function reportCommand(
  spec: string,
  flags: ReportFlags,
  log: (line: string) => void,
): Promise<number> {
  const paths = findRunDir(spec, flags.results ?? DEFAULT_CONFIG.results);
  return reportRun(paths.dir, flags, log);
}
