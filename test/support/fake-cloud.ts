// The fake Alibaba Cloud for tests and local runs (`npm run fake-cloud`): see fake-cloud/server.ts.

export { startFakeCloud, TEST_CREDENTIALS, type CallRecord, type FakeCloud, type FakeCloudOptions, type Injection } from './fake-cloud/server.ts';
export { World } from './fake-cloud/world.ts';
