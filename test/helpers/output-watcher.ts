import type { ChildProcess } from 'node:child_process';

/** A child's stdout and stderr together, and a wait for a pattern to appear in them. */
export function watchOutput(child: ChildProcess): {
  output: () => string;
  waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<void>;
} {
  let text = '';
  const listeners = new Set<() => void>();
  const onData = (data: Buffer) => {
    text += data.toString();
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const waitFor = (pattern: RegExp, timeoutMs = 60_000) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (pattern.test(text)) {
          listeners.delete(check);
          clearTimeout(timer);
          resolve();
        }
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`timed out waiting for ${pattern}; output so far:\n${text}`));
      }, timeoutMs);
      listeners.add(check);
      check();
    });
  return { output: () => text, waitFor };
}
