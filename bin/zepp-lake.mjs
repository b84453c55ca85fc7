#!/usr/bin/env node
// The `zepp-lake` command: runs the TypeScript CLI through tsx so `npx zepp-lake` needs no build step.
import { register } from 'tsx/esm/api';

register();
await import('../lambdas/cli/main.ts');
