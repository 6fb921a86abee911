/**
 * The gRPC baseline service, defined without codegen: raw bytes on the wire. `Add`
 * takes two little-endian doubles and returns one; `Echo` returns its bytes.
 */
import type { ServiceDefinition } from '@grpc/grpc-js';

const bytes = {
  requestStream: false,
  responseStream: false,
  requestSerialize: (b: Buffer): Buffer => b,
  requestDeserialize: (b: Buffer): Buffer => b,
  responseSerialize: (b: Buffer): Buffer => b,
  responseDeserialize: (b: Buffer): Buffer => b,
} as const;

/** benchService is the service definition shared by the gRPC server and client. */
export const benchService: ServiceDefinition = {
  add: { path: '/bench.Bench/Add', originalName: 'Add', ...bytes },
  echo: { path: '/bench.Bench/Echo', originalName: 'Echo', ...bytes },
};
