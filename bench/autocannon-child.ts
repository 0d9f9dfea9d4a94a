/** Runs autocannon once in its own process (so its CPU time can be measured like wrk's) and prints JSON. */
import autocannon from 'autocannon';

const [url, connections, seconds] = process.argv.slice(2);
const before = process.cpuUsage();
const result = await autocannon({
  url: url as string,
  connections: Number(connections),
  duration: Number(seconds),
  pipelining: 1,
});
const cpu = process.cpuUsage(before);
process.stdout.write(
  `${JSON.stringify({
    reqPerS: result.requests.total / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors,
    cpuS: (cpu.user + cpu.system) / 1e6,
  })}\n`,
);
