// @ts-check
/**
 * The mixed workload's server, run inside the guest: HTTP/1.1 (keep-alive, pipelining as Node's
 * server allows) where every request `GET /work/<seq>` costs a fixed amount of CPU work before the
 * reply: `--work-iterations` rounds of a xorshift generator, a count of operations rather than a
 * time, so that a pause of the guest does not shorten the work. The reply's body is 16 bytes: the
 * request's sequence number and the generator's state, both as 8 hex digits. Prints
 * "listening <port>" when ready. Plain JavaScript with no dependencies.
 *
 * usage: node mixed-server.mjs [--host 127.0.0.1] [--port 0] [--work-iterations 400000]
 */
import http from 'node:http';

const args = process.argv.slice(2);
/** @param {string} name @param {string} fallback */
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? String(args[i + 1]) : fallback;
};
const host = option('--host', '127.0.0.1');
const port = Number(option('--port', '0'));
const iterations = Number(option('--work-iterations', '400000'));

let state = 0x9e3779b9;
/** @param {number} rounds */
function work(rounds) {
  let x = state;
  for (let i = 0; i < rounds; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
  }
  state = x >>> 0 || 1;
  return state;
}

const hex = (/** @type {number} */ value) => (value >>> 0).toString(16).padStart(8, '0');
const server = http.createServer((request, response) => {
  const match = /^\/work\/(\d+)$/.exec(request.url ?? '');
  if (request.method !== 'GET' || !match) {
    response.writeHead(404, { 'content-length': '0' }).end();
    return;
  }
  const body = `${hex(Number(match[1]))}${hex(work(iterations))}`;
  response.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(body.length) }).end(body);
});
server.keepAliveTimeout = 600_000;
server.listen(port, host, () => {
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  process.stdout.write(`listening ${address.port}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
