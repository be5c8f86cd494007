// A grpc-js Communication Manager: serves UMService.RegisterUM, drives one UM through
// Prepare -> Start -> Apply (or Revert when it reports FAILED), then ends the call with a non-OK status so the
// client's handling of status trailers is exercised. Prints one JSON line per event.
//   node cm-server.js --port 0 --component rootfs --version 2.0 --url file:///tmp/x --sha256 HEX --size N --image 5 [--tls DIR]
'use strict';
const { grpc, UMService, emit, arg, serverCredentials } = require('./proto');

const component = {
  component_id: arg('component', 'test'),
  component_type: 'test',
  version: arg('version', '2.0'),
  annotations: '{}',
  url: arg('url', 'file:///dev/null'),
  sha256: Buffer.from(arg('sha256', ''), 'hex'),
  size: Number(arg('size', '0')),
};
const imageVersion = Number(arg('image', '1'));
const endCode = Number(arg('end-code', String(grpc.status.FAILED_PRECONDITION)));
const endMessage = arg('end-message', 'cm says no: ä 100%');

function registerUM(call) {
  let phase = 'wait-idle';
  call.on('data', (st) => {
    emit({ event: 'status', nodeId: st.node_id, state: st.update_state, imageVersion: st.image_version,
      components: st.components.map((c) => ({ id: c.component_id, version: c.version, state: c.state })),
      error: st.error ? st.error.message : '' });
    if (phase === 'wait-idle' && st.update_state === 'IDLE') {
      phase = 'prepare';
      call.write({ prepare_update: { components: [component], image_version: imageVersion } });
    } else if (phase === 'prepare' && st.update_state === 'PREPARED') {
      phase = 'start';
      call.write({ start_update: {} });
    } else if (phase === 'start' && st.update_state === 'UPDATED') {
      phase = 'apply';
      call.write({ apply_update: {} });
    } else if ((phase === 'prepare' || phase === 'start') && st.update_state === 'FAILED') {
      phase = 'revert';
      call.write({ revert_update: {} });
    } else if ((phase === 'apply' || phase === 'revert') && st.update_state === 'IDLE') {
      emit({ event: 'done', phase });
      const md = new grpc.Metadata();
      call.emit('error', { code: endCode, details: endMessage, metadata: md });
    }
  });
  call.on('error', () => {});
  call.on('end', () => call.end());
}

const server = new grpc.Server();
server.addService(UMService.service, { RegisterUM: registerUM });
server.bindAsync(`127.0.0.1:${arg('port', '0')}`, serverCredentials(), (err, port) => {
  if (err) { emit({ event: 'error', message: String(err) }); process.exit(2); }
  emit({ event: 'listening', port });
});
process.stdin.on('end', () => server.forceShutdown());
process.stdin.resume();
