// Loads the CM<->UM protocol from the same .proto files HilRig.Update compiles.
'use strict';
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const protoRoot = path.resolve(__dirname, '..', '..', 'src', 'HilRig.Update', 'Protos');
const definition = protoLoader.loadSync('updatemanager/v2/updatemanager.proto', {
  includeDirs: [protoRoot],
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
});
const pkg = grpc.loadPackageDefinition(definition);

function emit(event) {
  process.stdout.write(JSON.stringify(event) + '\n');
}

function arg(name, fallback) {
  const i = process.argv.indexOf('--' + name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

// --tls DIR: mutual TLS with the node.crt, node.key and ca.crt that provisioning wrote into DIR (as HilRig nodes get
// them); without it, cleartext h2c.
const fs = require('fs');
function tlsFiles() {
  const dir = arg('tls');
  if (!dir) return null;
  const read = (f) => fs.readFileSync(path.join(dir, f));
  return { ca: read('ca.crt'), cert: read('node.crt'), key: read('node.key') };
}

function clientCredentials() {
  const t = tlsFiles();
  return t ? grpc.credentials.createSsl(t.ca, t.key, t.cert) : grpc.credentials.createInsecure();
}

function serverCredentials() {
  const t = tlsFiles();
  return t ? grpc.ServerCredentials.createSsl(t.ca, [{ cert_chain: t.cert, private_key: t.key }], true) : grpc.ServerCredentials.createInsecure();
}

module.exports = { grpc, UMService: pkg.updatemanager.v2.UMService, emit, arg, clientCredentials, serverCredentials };
