// @ts-check
/**
 * The latency workload's server, run inside the guest: a TCP echo server. Every byte received is
 * written back at once (Nagle off). Prints "listening <port>" when ready. Plain JavaScript with no
 * dependencies, so that it runs in any guest that has Node.
 *
 * usage: node echo-server.mjs [--host 127.0.0.1] [--port 0]
 */
import net from 'node:net';

const args = process.argv.slice(2);
/** @param {string} name @param {string} fallback */
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? String(args[i + 1]) : fallback;
};
const host = option('--host', '127.0.0.1');
const port = Number(option('--port', '0'));

const server = net.createServer((socket) => {
  socket.setNoDelay(true);
  socket.on('data', (data) => socket.write(data));
  socket.on('error', () => socket.destroy());
});
server.listen(port, host, () => {
  const address = /** @type {net.AddressInfo} */ (server.address());
  process.stdout.write(`listening ${address.port}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
