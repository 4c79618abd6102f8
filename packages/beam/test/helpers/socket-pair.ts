// A connected pair of TCP sockets on loopback.
import { connect, createServer, type Socket } from 'node:net';

export async function socketPair(): Promise<[Socket, Socket]> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
  const client = connect({ host: '127.0.0.1', port: address.port });
  await new Promise((resolve) => client.once('connect', resolve));
  const other = await accepted;
  server.close();
  client.on('error', () => {});
  other.on('error', () => {});
  return [client, other];
}
