import { appendFileSync } from 'node:fs';

export interface RunLog {
  /** Says a line (or several) on the console and, once attached, into run.log. */
  log: (line: string) => void;
  /** From now on every line also goes, timestamped, into this file (the run directory's run.log). */
  attach: (file: string) => void;
}

/** Everything a run says goes to the console and, once the run directory exists, into its run.log. */
export function createRunLog(print: (line: string) => void): RunLog {
  let file: string | null = null;
  return {
    log: (line) => {
      print(line);
      if (!file) return;
      const stamp = new Date().toISOString();
      try {
        appendFileSync(
          file,
          line
            .split('\n')
            .map((l) => `${stamp} ${l}\n`)
            .join(''),
        );
      } catch {
        // a full disk must not stop the run from stopping cleanly; the console still has it
      }
    },
    attach: (path) => {
      file = path;
    },
  };
}
