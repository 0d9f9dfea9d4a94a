import { fileURLToPath } from 'node:url';
import type { Guest } from '../../harness/testbeds/types.ts';
import { runClientFor, type WorkloadClient } from '../client-process.ts';
import { GuestServer, startBusyboxHttpd, startGuestServer } from '../guest-server.ts';
import {
  defineWorkload,
  type MetricSpec,
  type TrialContext,
  type TrialResult,
  type Workload,
  type WorkloadModule,
} from '../types.ts';
import { type HttpClientInput, type HttpClientOutput, runClient } from './client.ts';
import { HTTP_DEFAULTS, HTTP_XEN_LAB, type HttpWorkloadConfig, httpWorkloadSchema } from './config.ts';

const HTTP_SERVER = fileURLToPath(new URL('./guest/http-server.mjs', import.meta.url));
const CLIENT: WorkloadClient<HttpClientInput, HttpClientOutput> = {
  module: fileURLToPath(new URL('./client.ts', import.meta.url)),
  run: runClient,
};

/**
 * autocannon is the throughput of record. Its latency histogram has 1 ms resolution and its
 * omission correction assumes 1 ms, so its latency figures are a coarse second view, not the RTT
 * of record (that is the latency workload's).
 */
const METRICS: MetricSpec[] = [
  {
    name: 'requests_per_s',
    unit: 'req/s',
    better: 'higher',
    primary: true,
    headline: true,
    label: 'HTTP requests/s',
  },
  { name: 'throughput_bytes_per_s', unit: 'B/s', better: 'higher' },
  { name: 'requests', unit: 'count', better: 'info' },
  { name: 'latency_p50_ms', unit: 'ms (1 ms resolution)', better: 'lower' },
  { name: 'latency_p99_ms', unit: 'ms (1 ms resolution)', better: 'lower' },
  { name: 'errors', unit: 'count', better: 'lower' },
  { name: 'timeouts', unit: 'count', better: 'lower' },
  { name: 'non_2xx', unit: 'count', better: 'lower' },
];

/** An HTTP server in the guest, autocannon outside it; replies cross the output-commit path. */
function configureHttp(config: HttpWorkloadConfig): WorkloadModule {
  return {
    name: 'http',
    description: `${config.server === 'busybox' ? 'busybox httpd' : 'Node HTTP server'} in the guest, autocannon with ${config.connections} connections outside; requests/s`,
    metrics: METRICS,
    requiredTools:
      config.server === 'busybox'
        ? [
            {
              command: 'busybox',
              debianPackage: 'busybox-static',
              neededBy: 'the http workload (server busybox)',
            },
          ]
        : [],
    create: () => new HttpWorkload(config),
  };
}

export const httpWorkload = defineWorkload({
  name: 'http',
  configSchema: httpWorkloadSchema,
  defaults: HTTP_DEFAULTS,
  testbedDefaults: { 'xen-lab': HTTP_XEN_LAB },
  quick: false,
  configure: configureHttp,
});

class HttpWorkload implements Workload {
  readonly name = 'http';
  readonly metrics = METRICS;
  private readonly server = new GuestServer('http');

  constructor(private readonly config: HttpWorkloadConfig) {}

  async prepare(guest: Guest): Promise<void> {
    await this.server.start(
      this.config.server === 'busybox'
        ? startBusyboxHttpd(guest, this.config.bodyBytes)
        : startGuestServer(guest, HTTP_SERVER, ['--body-bytes', String(this.config.bodyBytes)]),
    );
  }

  async trial(context: TrialContext): Promise<TrialResult> {
    const endpoint = this.server.endpoint;
    const input: HttpClientInput = {
      endpoint: { host: endpoint.host, port: endpoint.port },
      connections: this.config.connections,
      timeoutS: this.config.timeoutS,
      warmupS: context.warmupS,
      durationS: context.durationS,
    };
    const r = await runClientFor(endpoint, CLIENT, input, context.signal);
    if (r.requests === 0) {
      throw new Error(
        `autocannon completed no request against ${r.url}${endpoint.netns ? ` (netns ${endpoint.netns})` : ''} (${r.errors} errors, ${r.timeouts} timeouts)`,
      );
    }
    return {
      measurements: [
        { metric: 'requests_per_s', value: r.requests / r.durationS },
        { metric: 'throughput_bytes_per_s', value: r.throughputBytesPerS },
        { metric: 'requests', value: r.requests },
        { metric: 'latency_p50_ms', value: r.latencyP50Ms },
        { metric: 'latency_p99_ms', value: r.latencyP99Ms },
        { metric: 'errors', value: r.errors },
        { metric: 'timeouts', value: r.timeouts },
        { metric: 'non_2xx', value: r.non2xx },
      ],
      artifacts: [],
    };
  }

  teardown(): Promise<void> {
    return this.server.stop();
  }
}
