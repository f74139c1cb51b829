// `npm run fake-cloud`: the fake Alibaba Cloud on 127.0.0.1 (FAKE_CLOUD_PORT, default 9100) with a small
// demo world, and the environment that points `npm start` at it.

import { startFakeCloud } from './server.ts';

const cloud = await startFakeCloud({ port: Number(process.env.FAKE_CLOUD_PORT) || 9100, opsMs: Number(process.env.FAKE_CLOUD_OPS_MS) || 2000 });
const w = cloud.world;
w.addGroup('asg-demo', [
  ...['i-demo01', 'i-demo02', 'i-demo03', 'i-demo04'].map((id) => ({ id, imageId: 'centos_7_8_x64_20G_alibase_20200717.vhd' })),
  { id: 'i-demo05', lifecycle: 'Standby' as const, imageId: 'centos_7_8_x64_20G_alibase_20200717.vhd' },
]);
w.images.add('aliyun_2_1903_x64_20G_alibase_20200529.vhd');
w.packageVersions.set('wordpress', new Set(['v3', 'v4']));
w.addFunction('checkout', ['1', '2'], { prod: { versionId: '1', weights: {} } });

const c = cloud.credentials;
console.log(`fake cloud on ${cloud.url}: ECS, ESS, OOS (RPC), FC 3.0/2.0 aliases, HTTP deploy targets under /targets/{id}/deploy
scaling group asg-demo: i-demo01..04 In Service, i-demo05 Standby; images centos_7_8…, aliyun_2_1903…; package wordpress v3, v4; function checkout (versions 1, 2, alias prod)

Point changeflow at it (these are the fake's own test keys, not real ones):
  export ALIBABA_CLOUD_ACCESS_KEY_ID=${c.accessKeyId} ALIBABA_CLOUD_ACCESS_KEY_SECRET=${c.accessKeySecret} ALIBABA_CLOUD_SECURITY_TOKEN=${c.securityToken}
  export CHANGEFLOW_CLOUD_ENDPOINT=${cloud.url} CHANGEFLOW_CLOUD_POLL_MS=500
then: npm start, and submit an ESS request on asg-demo.`);

const stop = async () => {
  await cloud.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
