/** The @grpc/grpc-js client: unary calls on one HTTP/2 channel per connection. */
import * as grpc from '@grpc/grpc-js';
import type { Driver } from '../lib/load.js';
import { benchService } from './grpc-service.js';

type Unary = (req: Buffer, cb: (err: grpc.ServiceError | null, res?: Buffer) => void) => void;

/** grpcDriver calls `grpc://host:port`; every `open()` gets its own channel (own TCP connection). */
export function grpcDriver(target: string): Driver {
  const url = new URL(target);
  const Ctor = grpc.makeGenericClientConstructor(benchService, 'Bench');
  const request = Buffer.alloc(16);
  request.writeDoubleLE(3, 0);
  request.writeDoubleLE(5, 8);
  return {
    payload: 'binary',
    async open() {
      const client = new Ctor(`${url.hostname}:${url.port}`, grpc.credentials.createInsecure(), {
        'grpc.use_local_subchannel_pool': 1,
        'grpc.max_receive_message_length': 64 * 1024 * 1024,
        'grpc.max_send_message_length': 64 * 1024 * 1024,
      }) as unknown as grpc.Client & { add: Unary; echo: Unary };
      const call = (f: Unary, req: Buffer): Promise<Buffer> =>
        new Promise((resolve, reject) => {
          f.call(client, req, (err, res) => (err ? reject(err) : resolve(res!)));
        });
      return {
        add: async () => (await call(client.add, request)).readDoubleLE(0),
        echo: (p) => {
          const b = p as Uint8Array;
          return call(client.echo, Buffer.from(b.buffer, b.byteOffset, b.byteLength));
        },
        close: async () => client.close(),
      };
    },
  };
}
