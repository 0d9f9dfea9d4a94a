import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { OutputCommitProxy } from '../../harness/testbeds/emulated/output-proxy.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A real echo server on loopback, the proxy in front of it, and a connected client. */
async function setup() {
  const server = net.createServer((s) => s.on('data', (d) => s.write(d)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const proxy = new OutputCommitProxy();
  closers.push(() => proxy.close());
  const port = (server.address() as net.AddressInfo).port;
  const endpoint = await proxy.forward({ host: '127.0.0.1', port }, '127.0.0.1');
  const client = net.connect(endpoint.port, endpoint.host);
  closers.push(() => void client.destroy());
  await new Promise((resolve) => client.once('connect', resolve));
  let received = '';
  client.on('data', (d) => {
    received += d.toString();
  });
  return { proxy, client, received: () => received };
}

describe('OutputCommitProxy', () => {
  it('passes output straight through when not protected', async () => {
    const { client, received } = await setup();
    client.write('hello');
    await sleep(50);
    expect(received()).toBe('hello');
  });

  it('holds guest output until the checkpoint that sealed it commits, in epoch order', async () => {
    const { proxy, client, received } = await setup();
    proxy.hold();
    client.write('a');
    await sleep(50);
    expect(received()).toBe('');
    proxy.seal(1);
    client.write('b');
    await sleep(50);
    proxy.seal(2);
    expect(received()).toBe('');
    expect(proxy.release(1)).toBe(1);
    await sleep(50);
    expect(received()).toBe('a');
    expect(proxy.release(2)).toBe(1);
    await sleep(50);
    expect(received()).toBe('ab');
  });

  it('releases everything still held when protection stops', async () => {
    const { proxy, client, received } = await setup();
    proxy.hold();
    client.write('x');
    await sleep(30);
    proxy.seal(1);
    client.write('y');
    await sleep(30);
    expect(proxy.passThrough()).toBe(2);
    await sleep(30);
    expect(received()).toBe('xy');
    client.write('z');
    await sleep(30);
    expect(received()).toBe('xyz');
  });
});

describe('OutputCommitProxy over UDP', () => {
  it('holds guest datagrams until their checkpoint commits', async () => {
    const dgram = await import('node:dgram');
    const server = dgram.createSocket('udp4');
    server.on('message', (m, from) => server.send(m, from.port, from.address));
    await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', () => resolve()));
    closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const proxy = new OutputCommitProxy();
    closers.push(() => proxy.close());
    const endpoint = await proxy.forward(
      { host: '127.0.0.1', port: server.address().port },
      '127.0.0.1',
      'udp',
    );
    const client = dgram.createSocket('udp4');
    closers.push(() => new Promise<void>((resolve) => client.close(() => resolve())));
    const received: string[] = [];
    client.on('message', (m) => received.push(m.toString()));
    client.send('one', endpoint.port, endpoint.host);
    await sleep(50);
    expect(received).toEqual(['one']);
    proxy.hold();
    client.send('two', endpoint.port, endpoint.host);
    await sleep(50);
    expect(received).toEqual(['one']);
    proxy.seal(1);
    expect(proxy.release(1)).toBe(3);
    await sleep(50);
    expect(received).toEqual(['one', 'two']);
  });
});
