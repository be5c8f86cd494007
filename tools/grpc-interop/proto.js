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

module.exports = { grpc, UMService: pkg.updatemanager.v2.UMService, emit, arg };
