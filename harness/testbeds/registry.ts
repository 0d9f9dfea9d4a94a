import type { Config, XenConfig } from '../config/schema.ts';
import { EmulatedTestbed } from './emulated/index.ts';
import type { Testbed } from './testbed.ts';
import { XenTestbed } from './xen/index.ts';
import { XenLabTestbed } from './xen-lab/index.ts';

/** The testbed a config names. Adding a testbed: a folder under testbeds/ and one line here. */
export function createTestbed(
  config: Config,
  context: { log: (line: string) => void; signal?: AbortSignal } = { log: () => {} },
): Testbed {
  switch (config.testbed.kind) {
    case 'emulated':
      return new EmulatedTestbed(config.testbed.emulated);
    case 'xen':
      // The schema requires testbed.xen when kind is xen.
      return new XenTestbed(config.testbed.xen as XenConfig);
    case 'xen-lab':
      return new XenLabTestbed(
        config.testbed.xenLab ?? { networkBuffering: true },
        context.log,
        context.signal,
      );
  }
}
