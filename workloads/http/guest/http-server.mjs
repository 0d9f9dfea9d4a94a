// @ts-check
/**
 * The http workload's server, run inside the guest: a minimal keep-alive HTTP/1.1 server answering
 * every request with a small fixed body. Node's own http module rather than nginx: it needs no
 * package, configuration or root in the guest and starts in tens of milliseconds; its per-request
 * cost is what the baseline measures, and Remus's overhead is read against that baseline.
 * Prints "listening <port>" when ready.
 *
 * usage: node http-server.mjs [--host 127.0.0.1] [--port 0] [--body-bytes 64]
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
const body = Buffer.alloc(Number(option('--body-bytes', '64')), 'x');

const server = http.createServer((_request, response) => {
  response.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
  response.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(port, host, () => {
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  process.stdout.write(`listening ${address.port}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
