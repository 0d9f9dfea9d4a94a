import { readFileSync } from 'node:fs';
import { UserError } from '../errors.ts';

/**
 * Reads a JSON file of a run directory. A missing or damaged file is a clear error naming the file
 * and what to do (`advice`), not a stack trace: such files are written atomically, so damage means
 * something outside the harness touched them (an editor, a copy cut short, a bad disk).
 */
export function readJsonFile<T>(path: string, advice: string): T {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UserError(
      `Cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)}). ${advice}`,
    );
  }
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new UserError(
      `${path} is damaged: not valid JSON (${error instanceof Error ? error.message : String(error)}). ${advice}`,
    );
  }
}
