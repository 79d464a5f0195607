export * from './child-process.ts';
export * from './redis-server.ts';
export * from './s3-server.ts';
