// Preloaded with `node --require`: every TCP server binds 127.0.0.1, whatever it asked for.
// The @atproto services call app.listen(port), which would otherwise bind all interfaces.
'use strict'
const net = require('node:net')

const LOOPBACK = '127.0.0.1'
const WILDCARDS = new Set([undefined, null, '', '0.0.0.0', '::', 'localhost'])
const originalListen = net.Server.prototype.listen

function isPort(value) {
  return typeof value === 'number' || (typeof value === 'string' && /^\d+$/.test(value))
}

net.Server.prototype.listen = function listenOnLoopback(...args) {
  const [first, second] = args
  if (first !== null && typeof first === 'object' && !(first instanceof net.Server) && first.path === undefined && first.fd === undefined && first.handle === undefined && first._handle === undefined) {
    if (WILDCARDS.has(first.host)) args[0] = { ...first, host: LOOPBACK }
  } else if (isPort(first) || first === undefined) {
    if (typeof second === 'string') {
      if (WILDCARDS.has(second)) args[1] = LOOPBACK
    } else {
      args.splice(1, 0, LOOPBACK)
      if (first === undefined) args[0] = 0
    }
  }
  return originalListen.apply(this, args)
}
