// The demo Node app: computes a CRC with @node-rs/crc32, whose napi-rs binding is the native part.
const { crc32 } = require('@node-rs/crc32')

console.log(crc32('archlens demo').toString(16))
