#!/usr/bin/env node
// The CLI is TypeScript run through tsx's loader: one code path in dev, CI and containers.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv.slice(2));
