import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { ApiDeps } from './deps.ts';
import type { ApiRole } from './repositories/api-key-repository.ts';

/** Who made a request: an API key's identity, role and camera limit ([] = all cameras). */
export interface Principal {
  id: string;
  name: string;
  role: ApiRole;
  cameras: string[];
}

declare module 'fastify' {
  interface FastifyInstance {
    deps: ApiDeps;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** Least role a route needs; 'public' routes take no key. Routes under /v1 default to 'viewer'. */
    role?: ApiRole | 'public';
    /** EventSource cannot send headers: this route also takes ?access_token=. */
    queryToken?: boolean;
  }
}

export type ApiApp = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, TypeBoxTypeProvider>;
