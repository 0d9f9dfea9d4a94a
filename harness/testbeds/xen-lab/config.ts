import { z } from 'zod';

/** `testbed.xenLab`: the Xen lab in a box's own choices; everything else comes with the lab. */
export const xenLabSchema = z.strictObject({
  /**
   * Remus's output commit in the lab: true runs `xl remus` with network buffering (the lab's libxl is
   * built with libnl: the guest's output waits in dom0 until its checkpoint is on the backup); false
   * runs the unsafe `xl remus -F -n` (output leaves at once). Recorded on every sample.
   */
  networkBuffering: z.boolean(),
});

export type XenLabConfig = z.infer<typeof xenLabSchema>;

export const XEN_LAB_DEFAULTS: XenLabConfig = { networkBuffering: true };
