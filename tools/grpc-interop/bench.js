// Baseline for `hilrig bench update`: the same CM<->UM exchange between two grpc-js peers in one process.
//   rtt: the CM sends one CMMessages on a RegisterUM stream, the UM answers one UpdateStatus (ping-pong, N times).
//   fanout: the CM sends PrepareUpdate to F UMs at once and waits until every one has answered (R rounds).
// Prints {"rtt_us": median, "fanout_ms": median, ...} on one line.
//   node bench.js --warmup 50000 --iterations 2000 --fanout 100 --rounds 20 (warm-up round trips are not timed)
'use strict';
const { grpc, UMService, arg } = require('./proto');

const warmup = Number(arg('warmup', '0'));
const iterations = Number(arg('iterations', '2000'));
const fanout = Number(arg('fanout', '100'));
const rounds = Number(arg('rounds', '20'));

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const streams = [];
let waiter = null;

function registerUM(call) {
  call.once('data', () => {
    streams.push(call);
    call.on('data', () => { if (waiter) waiter(); });
    if (waiter) waiter();
  });
  call.on('error', () => {});
  call.on('end', () => call.end());
}

const prepare = { prepare_update: { image_version: 2, components: [{ component_id: 'rootfs', component_type: 'rootfs-ab', version: '2.0', annotations: '{}', url: 'file:///var/aos/images/2/rootfs', sha256: Buffer.alloc(32, 7), size: 123456 }] } };

function umClient(address, nodeId) {
  const client = new UMService(address, grpc.credentials.createInsecure());
  const call = client.RegisterUM();
  const status = { node_id: nodeId, priority: 0, update_state: 'IDLE', image_version: 1, components: [{ component_id: 'rootfs', component_type: 'rootfs-ab', version: '1.0', state: 'INSTALLED' }] };
  call.on('data', () => call.write(Object.assign({}, status, { update_state: 'PREPARED', image_version: 2 })));
  call.on('error', () => {});
  call.write(status);
  return { client, call };
}

function waitFor(count) {
  return new Promise((resolve) => {
    let left = count;
    waiter = () => { if (--left === 0) { waiter = null; resolve(); } };
  });
}

async function main() {
  const server = new grpc.Server();
  server.addService(UMService.service, { RegisterUM: registerUM });
  const port = await new Promise((res, rej) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))));
  const address = `127.0.0.1:${port}`;

  const clients = [umClient(address, 'um-0')];
  while (streams.length < 1) await new Promise((r) => setTimeout(r, 1));
  const roundTrip = async () => {
    const done = waitFor(1);
    const t0 = process.hrtime.bigint();
    streams[0].write(prepare);
    await done;
    return Number(process.hrtime.bigint() - t0) / 1000;
  };
  for (let i = 0; i < warmup; i++) await roundTrip();
  const rtts = [];
  for (let i = 0; i < iterations; i++) rtts.push(await roundTrip());

  for (let i = 1; i < fanout; i++) clients.push(umClient(address, `um-${i}`));
  while (streams.length < fanout) await new Promise((r) => setTimeout(r, 1));
  const fanouts = [];
  for (let r = 0; r < rounds; r++) {
    const done = waitFor(fanout);
    const t0 = process.hrtime.bigint();
    for (const s of streams) s.write(prepare);
    await done;
    fanouts.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  process.stdout.write(JSON.stringify({ rtt_us: median(rtts.slice(Math.floor(iterations / 10))), fanout_ms: median(fanouts), warmup, iterations, fanout, rounds }) + '\n');
  for (const c of clients) { c.call.end(); c.client.close(); }
  server.forceShutdown();
}

main().catch((e) => { process.stderr.write(String(e.stack || e) + '\n'); process.exit(1); });
