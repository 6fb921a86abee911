/**
 * XML-RPC over HTTP: a server binding for the shared HTTP server (`POST /RPC2` and
 * `POST /`, with `system.multicall`) and a keep-alive client for `http:`/`https:`
 * URLs (also `xmlrpc+http:`/`xmlrpc+https:`). Interoperates with Python's
 * xmlrpc.client / SimpleXMLRPCServer and the npm `xmlrpc` package. The type mapping,
 * fault codes and limits are in docs/xmlrpc.md.
 *
 * Exports: xmlRpc (the Protocol), and the codec types DecodedCall and DecodeOptions.
 */
import type { Protocol } from '../types.js';
import { createTransport } from './client.js';
import { CONTENT_TYPE, PROTOCOL, serverCodec } from './codec.js';

// Protocol
/** xmlRpc is the XML-RPC protocol: client for http(s) URLs, served on the shared HTTP server. */
export const xmlRpc: Protocol = {
  name: PROTOCOL,
  title: 'XML-RPC over HTTP POST (/RPC2 and /)',
  schemes: ['http:', 'https:', 'xmlrpc+http:', 'xmlrpc+https:'],
  pushSchemes: [],
  createTransport,
  http: { paths: ['/RPC2', '/'], contentType: CONTENT_TYPE, clientScheme: 'http:', codec: serverCodec },
};

// Codec types
export type { DecodedCall, DecodeOptions } from './codec.js';
