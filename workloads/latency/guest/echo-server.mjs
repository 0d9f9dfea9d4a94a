// @ts-check
/**
 * The latency workload's server, run inside the guest: a TCP and UDP echo server on the same port
 * number. Every byte (TCP, Nagle off) or datagram (UDP) received is sent back at once. Prints
 * "listening <port>" when both are ready. Plain JavaScript with no dependencies, so that it runs
 * in any guest that has Node.
 *
 * usage: node echo-server.mjs [--host 127.0.0.1] [--port 0] [--drop-every N] [--sockperf]
 *   --drop-every N  drop every N-th UDP datagram (for loss-accounting tests)
 *   --sockperf      also answer `sockperf ping-pong` over UDP like `sockperf server` does, so that
 *                   sockperf and our client can be compared against one server (bench/network.ts)
 */
import dgram from 'node:dgram';
import net from 'node:net';

const args = process.argv.slice(2);
/** @param {string} name @param {string} fallback */
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? String(args[i + 1]) : fallback;
};
const host = option('--host', '127.0.0.1');
const port = Number(option('--port', '0'));
const dropEvery = Number(option('--drop-every', '0'));
const sockperf = args.includes('--sockperf');

/**
 * sockperf's UDP header: sequence number (8 bytes), flags (u16, big-endian), length (u32). A client
 * message has flag bit 0 set; the server clears it and replies only when bit 1 (pong request) is
 * set. Our own client's messages have no such flags and are echoed unchanged.
 * @param {Buffer} message
 * @returns {Buffer | null} the reply, or null for no reply
 */
function sockperfReply(message) {
  if (!sockperf || message.length < 14 || ((message[9] ?? 0) & 1) === 0) return message;
  if (((message[9] ?? 0) & 2) === 0) return null;
  message[9] = (message[9] ?? 0) & ~1;
  return message;
}

const tcp = net.createServer((socket) => {
  socket.setNoDelay(true);
  socket.on('data', (data) => socket.write(data));
  socket.on('error', () => socket.destroy());
});
const udp = dgram.createSocket('udp4');
let datagrams = 0;
udp.on('message', (message, from) => {
  datagrams++;
  if (dropEvery > 0 && datagrams % dropEvery === 0) return;
  const reply = sockperfReply(message);
  if (reply) udp.send(reply, from.port, from.address);
});

tcp.listen(port, host, () => {
  const address = /** @type {net.AddressInfo} */ (tcp.address());
  udp.bind(address.port, host, () => process.stdout.write(`listening ${address.port}\n`));
});
const stop = () => {
  udp.close();
  tcp.close(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
