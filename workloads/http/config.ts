import { z } from 'zod';

/** `workloads.http`: autocannon's connections and the guest's HTTP server. */
export const httpWorkloadSchema = z.strictObject({
  /** Concurrent keep-alive connections of autocannon (each one closed-loop, pipelining 1). */
  connections: z.number().int().min(1).max(1000),
  /** Size of the server's response body. */
  bodyBytes: z.number().int().min(0).max(1_048_576),
  /** autocannon's per-request timeout, seconds. */
  timeoutS: z.number().int().min(1).max(600),
  /**
   * The server in the guest: `node` (the project's http-server.mjs; the guest needs node and this
   * project at the same path) or `busybox` (busybox httpd serving one file of bodyBytes on port
   * 8080; any guest with busybox, e.g. the Xen lab's).
   */
  server: z.enum(['node', 'busybox'], { error: 'expected node or busybox' }),
});

export type HttpWorkloadConfig = z.infer<typeof httpWorkloadSchema>;

export const HTTP_DEFAULTS: HttpWorkloadConfig = {
  connections: 10,
  bodyBytes: 64,
  timeoutS: 10,
  server: 'node',
};

// The Xen lab's guest has no node: busybox httpd serves the body.
export const HTTP_XEN_LAB: Partial<HttpWorkloadConfig> = { server: 'busybox' };
