import { randomBytes } from 'node:crypto';
import { createLogger } from '@riverwatch/common';
import { buildApp, createApiDeps, type ApiDeps } from '@riverwatch/api';
import { createTestContext, type TestContext } from '../../support/context.ts';

export interface ApiHarness {
  t: TestContext;
  deps: ApiDeps;
  app: Awaited<ReturnType<typeof buildApp>>;
  adminKey: string;
  /** Authorization header for a key (the bootstrap admin key by default). */
  auth(key?: string): { authorization: string };
  /** Creates a stored API key through the API and returns it. */
  createKey(role: 'viewer' | 'operator' | 'admin', cameras?: string[]): Promise<string>;
  close(): Promise<void>;
}

/** The API app (never listening) on the test run's real Redis and S3, with its own key prefix. */
export async function createApiHarness(extraEnv: Record<string, string> = {}): Promise<ApiHarness> {
  const adminKey = `rw_testadmin_${randomBytes(12).toString('hex')}`;
  const t = await createTestContext({ RIVERWATCH_ADMIN_KEY: adminKey, INFERENCE_TARGETS: '127.0.0.1:1', ...extraEnv });
  const deps = await createApiDeps({ config: t.config, logger: createLogger('silent'), redisUrl: t.redisUrl, s3Endpoint: t.s3Endpoint });
  const app = await buildApp(deps);
  const auth = (key = adminKey) => ({ authorization: `Bearer ${key}` });
  return {
    t,
    deps,
    app,
    adminKey,
    auth,
    async createKey(role, cameras = []) {
      const res = await app.inject({ method: 'POST', url: '/v1/api-keys', headers: auth(), payload: { name: `${role} key`, role, cameras } });
      if (res.statusCode !== 201) throw new Error(`creating a key failed: ${res.statusCode} ${res.body}`);
      return res.json().key as string;
    },
    async close() {
      await app.close();
      await deps.close();
      await t.cleanup();
    },
  };
}
