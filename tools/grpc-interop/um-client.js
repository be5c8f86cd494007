// A grpc-js Update Manager: registers with a CM (RegisterUM), answers Prepare/Start/Apply/Revert like a UM,
// and prints one JSON line per event. Modes: normal | fail-update | garbage.
//   node um-client.js --address 127.0.0.1:PORT --node-id js-node --component js-comp --mode normal [--tls DIR]
'use strict';
const { grpc, UMService, emit, arg, clientCredentials } = require('./proto');

const address = arg('address');
const nodeId = arg('node-id', 'js-node');
const componentId = arg('component', 'js-comp');
const mode = arg('mode', 'normal');
const PATH = '/updatemanager.v2.UMService/RegisterUM';

function status(state, version, imageVersion, error) {
  return {
    node_id: nodeId,
    priority: 0,
    update_state: state,
    image_version: imageVersion,
    components: [{ component_id: componentId, component_type: 'js', version, state: error ? 'ERROR' : 'INSTALLED' }],
    error: error ? { aos_code: 1, exit_code: 0, message: error } : undefined,
  };
}

if (mode === 'garbage') {
  // Bytes that are not an UpdateStatus: identity serializers put them on the wire unchanged.
  const Raw = grpc.makeGenericClientConstructor({
    RegisterUM: {
      path: PATH, requestStream: true, responseStream: true,
      requestSerialize: (b) => b, requestDeserialize: (b) => b,
      responseSerialize: (b) => b, responseDeserialize: (b) => b,
    },
  }, 'UMService');
  const client = new Raw(address, clientCredentials());
  const call = client.RegisterUM();
  call.on('data', () => emit({ event: 'received', kind: 'bytes' }));
  call.on('error', (e) => { emit({ event: 'status', code: e.code, details: e.details }); process.exit(0); });
  call.on('end', () => {});
  call.write(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]));
} else {
  const client = new UMService(address, clientCredentials());
  const call = client.RegisterUM();
  let installed = '1.0';
  let pending = null;
  let image = 0;
  call.on('data', (msg) => {
    const kind = msg.CMMessage;
    emit({ event: 'received', kind, imageVersion: kind === 'prepare_update' ? msg.prepare_update.image_version : undefined,
      components: kind === 'prepare_update' ? msg.prepare_update.components.map((c) => c.component_id) : undefined });
    if (kind === 'prepare_update') {
      pending = msg.prepare_update.components.find((c) => c.component_id === componentId);
      image = msg.prepare_update.image_version;
      call.write(status('PREPARED', installed, image));
    } else if (kind === 'start_update') {
      if (mode === 'fail-update') call.write(status('FAILED', installed, image, 'js module refused the update'));
      else call.write(status('UPDATED', pending ? pending.version : installed, image));
    } else if (kind === 'apply_update') {
      if (pending) installed = pending.version;
      pending = null;
      call.write(status('IDLE', installed, image));
      emit({ event: 'applied', version: installed, imageVersion: image });
    } else if (kind === 'revert_update') {
      pending = null;
      call.write(status('IDLE', installed, 0));
      emit({ event: 'reverted', version: installed });
    }
  });
  call.on('error', (e) => { emit({ event: 'status', code: e.code, details: e.details }); process.exit(0); });
  call.on('end', () => { emit({ event: 'status', code: 0, details: '' }); process.exit(0); });
  call.write(status('IDLE', installed, 0));
  emit({ event: 'registered', nodeId });
}
