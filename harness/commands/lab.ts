import { labDown } from '../lab/down.ts';
import { labStatus } from '../lab/status.ts';
import { labUp } from '../lab/up.ts';
import { installInterruptHandler } from '../run/interrupt.ts';
import { placeLabGuest } from '../testbeds/xen-lab/guest-placement.ts';

/**
 * `npm run lab -- up | status | down`. Ctrl-C, SIGTERM or SIGHUP during `up` stops the QEMUs it
 * started (a second signal does not cut that short; a third leaves them running).
 */
export async function labCommand(action: string, log: (line: string) => void): Promise<number> {
  switch (action) {
    case 'up': {
      const interrupt = installInterruptHandler(log, {
        stopping: 'stopping what lab up started',
        leaving: () => 'the QEMUs it started may still run; `npm run lab -- down` stops them.',
      });
      try {
        await labUp(log, interrupt.signal, (dir) => placeLabGuest(dir, log, interrupt.signal));
        return interrupt.received() ? 130 : 0;
      } finally {
        interrupt.dispose();
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
