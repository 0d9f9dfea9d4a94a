import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import type { HttpWorkloadConfig } from '../../harness/config/schema.ts';
import { InterruptedError } from '../../harness/errors.ts';
import type { Endpoint, Guest, GuestProcess } from '../../harness/testbeds/types.ts';
import { startGuestServer } from '../guest-server.ts';
import type { MetricSpec, TrialContext, TrialResult, Workload, WorkloadModule } from '../types.ts';

const HTTP_SERVER = fileURLToPath(new URL('./guest/http-server.mjs', import.meta.url));

/**
 * autocannon is the throughput of record. Its latency histogram has 1 ms resolution and its
 * omission correction assumes 1 ms, so its latency figures are a coarse second view, not the RTT
 * of record (that is the latency workload's).
 */
const METRICS: MetricSpec[] = [
  { name: 'requests_per_s', unit: 'req/s', better: 'higher', headline: true, label: 'HTTP requests/s' },
  { name: 'throughput_bytes_per_s', unit: 'B/s', better: 'higher' },
  { name: 'requests', unit: 'count', better: 'info' },
  { name: 'latency_p50_ms', unit: 'ms (1 ms resolution)', better: 'lower' },
  { name: 'latency_p99_ms', unit: 'ms (1 ms resolution)', better: 'lower' },
  { name: 'errors', unit: 'count', better: 'lower' },
  { name: 'timeouts', unit: 'count', better: 'lower' },
  { name: 'non_2xx', unit: 'count', better: 'lower' },
];

/** An HTTP server in the guest, autocannon outside it; replies cross the output-commit path. */
export function httpWorkload(config: HttpWorkloadConfig): WorkloadModule {
  return {
    name: 'http',
    description: `Node HTTP server in the guest, autocannon with ${config.connections} connections outside; requests/s`,
    metrics: METRICS,
    requiredTools: [],
    create: () => new HttpWorkload(config),
  };
}

class HttpWorkload implements Workload {
  readonly name = 'http';
  readonly metrics = METRICS;
  private server: GuestProcess | null = null;
  private endpoint: Endpoint | null = null;

  constructor(private readonly config: HttpWorkloadConfig) {}

  async prepare(guest: Guest): Promise<void> {
    const started = await startGuestServer(guest, HTTP_SERVER, [
      '--body-bytes',
      String(this.config.bodyBytes),
    ]);
    this.server = started.server;
    this.endpoint = started.endpoint;
  }

  private async load(seconds: number, signal: AbortSignal): Promise<autocannon.Result> {
    const endpoint = this.endpoint as Endpoint;
    // Without a callback autocannon returns its instance (an EventEmitter with stop()) that is
    // also thenable; the type declarations only say Promise.
    const instance = autocannon({
      url: `http://${endpoint.host}:${endpoint.port}/`,
      connections: this.config.connections,
      pipelining: 1,
      duration: seconds,
      timeout: this.config.timeoutS,
    }) as unknown as Promise<autocannon.Result> & { stop(): void };
    const onAbort = () => instance.stop();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const result = await instance;
      if (signal.aborted) throw new InterruptedError();
      return result;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  async trial(context: TrialContext): Promise<TrialResult> {
    if (!this.endpoint) throw new Error('http workload: trial before prepare');
    if (context.warmupS > 0) await this.load(context.warmupS, context.signal);
    const r = await this.load(context.durationS, context.signal);
    if (r.requests.total === 0) {
      throw new Error(
        `autocannon completed no request against ${r.url} (${r.errors} errors, ${r.timeouts} timeouts)`,
      );
    }
    return {
      measurements: [
        { metric: 'requests_per_s', value: r.requests.total / (r.duration || context.durationS) },
        { metric: 'throughput_bytes_per_s', value: r.throughput.average },
        { metric: 'requests', value: r.requests.total },
        { metric: 'latency_p50_ms', value: r.latency.p50 },
        { metric: 'latency_p99_ms', value: r.latency.p99 },
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
