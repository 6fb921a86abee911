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
import { http } from './server.js';

// Protocol
/** xmlRpc is the XML-RPC protocol: client for http(s) URLs, served on the shared HTTP server. */
export const xmlRpc: Protocol = {
  name: 'xmlrpc',
  schemes: ['http:', 'https:', 'xmlrpc+http:', 'xmlrpc+https:'],
  createTransport,
  http,
};

// Codec types
export type { DecodedCall, DecodeOptions } from './codec.js';
