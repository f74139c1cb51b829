#!/usr/bin/env node
// The CLI is TypeScript run without a build step: register tsx's loader, then load the real entry point.
import { register } from 'tsx/esm/api';

register();
await import(new URL('../shared/cli/main.ts', import.meta.url).href);
