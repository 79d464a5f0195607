import { startLocalRedis, startEmbeddedS3 } from '@riverwatch/local-infra';
import { EvidenceStore, loadConfig, waitForRedis, createRedis } from '@riverwatch/common';
const r = await startLocalRedis({ dataDir: '/tmp/rwsmoke/redis' });
const s = await startEmbeddedS3({ dataDir: '/tmp/rwsmoke/s3' });
await waitForRedis(r.url);
const c = createRedis(r.url); console.log(await c.ping()); c.disconnect();
const cfg = loadConfig({});
const st = EvidenceStore.fromConfig(cfg.s3, s.url);
await st.ensureBuckets();
await st.put('snapshots', 'a/b.jpg', Buffer.from('hello'), 'image/jpeg');
console.log((await st.get('snapshots', 'a/b.jpg')).toString(), await st.list('snapshots'), await st.presignedGet('snapshots','a/b.jpg'));
const t0=Date.now(); try { await waitForRedis('redis://127.0.0.1:1', 5000);} catch(e){console.log((e as Error).message, Date.now()-t0);}
await st.destroy();
await r.stop(); await s.stop(); console.log('stopped');
