// Starts the Bluesky reference network (PLC, PDS, AppView, bsync, ozone) for the tests.
// Needs DB_POSTGRES_URL; prints one JSON line {"ready": true, ...} once every service
// answers, and closes the network on SIGTERM or SIGINT. Run with
// `node --require ./loopback.cjs start-network.mjs` so that nothing binds beyond 127.0.0.1.
// A control address answers POST /process-all once the AppView has indexed everything
// the PDS has emitted (dev-env's own processAll), so tests never race the firehose.
import http from 'node:http'
import { TestNetwork } from '@atproto/dev-env'

const network = await TestNetwork.create({
  dbPostgresSchema: process.env.DB_POSTGRES_SCHEMA || 'inbox_test',
  pds: { hostname: 'localhost', enableDidDocWithSession: true },
})

const control = http.createServer(async (request, response) => {
  if (request.method !== 'POST' || request.url !== '/process-all') {
    response.writeHead(404).end()
    return
  }
  try {
    await network.processAll(60_000)
    response.writeHead(200).end('processed')
  } catch (error) {
    response.writeHead(500).end(String(error))
  }
})
await new Promise((resolve) => control.listen(0, '127.0.0.1', resolve))

console.log(
  JSON.stringify({
    ready: true,
    pid: process.pid,
    plc: network.plc.url,
    pds: network.pds.url,
    appview: network.bsky.url,
    control: `http://127.0.0.1:${control.address().port}`,
  }),
)

let closing = false
async function close(signal) {
  if (closing) return
  closing = true
  const forced = setTimeout(() => process.exit(1), 15_000)
  forced.unref()
  try {
    control.close()
    await network.close()
  } finally {
    console.log(JSON.stringify({ stopped: true, signal }))
    process.exit(0)
  }
}
process.on('SIGTERM', () => close('SIGTERM'))
process.on('SIGINT', () => close('SIGINT'))
