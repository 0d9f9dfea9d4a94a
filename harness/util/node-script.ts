import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/**
 * tsx's loader by absolute URL: a child started with `--import tsx` would resolve it from its own
 * working directory, which need not be the project's.
 */
export const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** The command line that runs one of the project's TypeScript files as a program. */
export function tsScriptCommand(file: string, args: readonly string[] = []): [string, string[]] {
  return [process.execPath, ['--import', TSX_LOADER, file, ...args]];
}
