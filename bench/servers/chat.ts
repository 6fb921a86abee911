/**
 * The demo chat for the fan-out bench (issue 16), msgpack over TCP only:
 * `bench/servers/chat.ts memory` or `bench/servers/chat.ts redis <url>`. The subscriber
 * buffer is raised so a burst never trips the overflow signal mid-measurement.
 */
import { createMemoryBroker } from '../../src/demo/broker.js';
import { createRedisBroker } from '../../src/demo/redis-broker.js';
import { createDemoService } from '../../src/demo/service.js';
import { serve } from '../../src/index.js';
import { ready } from './ready.js';

const [mode = 'memory', url] = process.argv.slice(2);
const subscriberBuffer = 4096;
const broker =
  mode === 'redis'
    ? await createRedisBroker({ url: url ?? 'redis://127.0.0.1:6379', subscriberBuffer })
    : createMemoryBroker({ subscriberBuffer });
const server = await serve(createDemoService({ broker }), {
  host: '127.0.0.1',
  protocols: ['msgpack'],
  httpPort: null,
  ports: { msgpack: 0 },
});
ready(server.listeners[0]!.url);
