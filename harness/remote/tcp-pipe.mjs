// A TCP connection on stdin/stdout, like `nc HOST PORT`: started by harness/remote/ssh.ts with
// `ip netns exec NS`, so that the connection is made from inside that network namespace.
// Usage: node tcp-pipe.mjs HOST PORT. Exits 1 with one line on stderr if the connection fails.
import net from 'node:net';

const [host, port] = process.argv.slice(2);
const socket = net.connect(Number(port), host);
socket.setNoDelay(true);
socket.once('connect', () => {
  process.stdin.pipe(socket);
  socket.pipe(process.stdout);
});
socket.on('error', (error) => {
  process.stderr.write(`cannot reach ${host}:${port}: ${error.message}\n`);
  process.exit(1);
});
socket.on('close', () => process.exit(0));
process.stdin.on('end', () => socket.end());
