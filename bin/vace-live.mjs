#!/usr/bin/env node
// The `vace-live` command: the CLI is TypeScript (src/cli/main.ts), run through tsx's ESM loader
// so an installed package needs no build step.
import { register } from 'tsx/esm/api';

register();
const main = new URL('../src/cli/main.ts', import.meta.url);
const { runCli, commandOf } = await import(main.href);
const argv = process.argv.slice(2);
const code = await runCli(argv);
if (code !== 0 || commandOf(argv) !== 'serve' || argv.includes('--help') || argv.includes('-h')) process.exit(code);
