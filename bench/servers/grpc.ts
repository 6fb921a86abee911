/** The @grpc/grpc-js unary server (raw-bytes service, no codegen). */
import * as grpc from '@grpc/grpc-js';
import { benchService } from '../drivers/grpc-service.js';
import { ready } from './ready.js';

const server = new grpc.Server({
  'grpc.max_receive_message_length': 64 * 1024 * 1024,
  'grpc.max_send_message_length': 64 * 1024 * 1024,
});
server.addService(benchService, {
  add: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
    const out = Buffer.allocUnsafe(8);
    out.writeDoubleLE(call.request.readDoubleLE(0) + call.request.readDoubleLE(8), 0);
    cb(null, out);
  },
  echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) =>
    cb(null, call.request),
});
server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) throw err;
  ready(`grpc://127.0.0.1:${port}`);
});
