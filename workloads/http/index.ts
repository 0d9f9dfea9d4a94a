import { fileURLToPath } from 'node:url';
import type { Endpoint, Guest, GuestProcess } from '../../harness/testbeds/types.ts';
import { runClientProcess } from '../client-process.ts';
import { startBusyboxHttpd, startGuestServer } from '../guest-server.ts';
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
const CLIENT_MODULE = fileURLToPath(new URL('./client.ts', import.meta.url));

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
  private server: GuestProcess | null = null;
  private endpoint: Endpoint | null = null;

  constructor(private readonly config: HttpWorkloadConfig) {}

  async prepare(guest: Guest): Promise<void> {
    const started =
      this.config.server === 'busybox'
        ? await startBusyboxHttpd(guest, this.config.bodyBytes)
        : await startGuestServer(guest, HTTP_SERVER, ['--body-bytes', String(this.config.bodyBytes)]);
    this.server = started.server;
    this.endpoint = started.endpoint;
  }

  async trial(context: TrialContext): Promise<TrialResult> {
    if (!this.endpoint) throw new Error('http workload: trial before prepare');
    const endpoint = this.endpoint;
    const input: HttpClientInput = {
      endpoint: { host: endpoint.host, port: endpoint.port },
      connections: this.config.connections,
      timeoutS: this.config.timeoutS,
      warmupS: context.warmupS,
      durationS: context.durationS,
    };
    // An endpoint inside a network namespace (the Xen lab's guest) is loaded from a child there.
    const r = endpoint.netns
      ? await runClientProcess<HttpClientOutput>(endpoint.netns, CLIENT_MODULE, input, context.signal)
      : await runClient(input, context.signal);
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

  async teardown(): Promise<void> {
    await this.server?.kill();
    this.server = null;
  }
}
