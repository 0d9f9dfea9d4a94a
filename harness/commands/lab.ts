import { labDown, labStatus, labUp } from '../lab/lab.ts';

/** `npm run lab -- up | status | down`. Ctrl-C during `up` stops the QEMUs it started. */
export async function labCommand(action: string, log: (line: string) => void): Promise<number> {
  switch (action) {
    case 'up': {
      const abort = new AbortController();
      const onInterrupt = () => abort.abort();
      process.once('SIGINT', onInterrupt);
      try {
        await labUp(log, abort.signal);
        return abort.signal.aborted ? 130 : 0;
      } finally {
        process.off('SIGINT', onInterrupt);
      }
    }
    case 'status':
      return (await labStatus(log)) ? 0 : 1;
    case 'down':
      await labDown(log);
      return 0;
    default:
      log(`unknown lab action "${action}": expected up, status or down`);
      return 2;
  }
}
