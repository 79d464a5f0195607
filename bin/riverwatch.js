#!/usr/bin/env node
// `node bin/riverwatch.js …` from a checkout; `npx riverwatch` uses the same file through the cli workspace's bin.
await import('../packages/cli/bin/riverwatch.js');
