#!/usr/bin/env node
// The `tokenlimit` command: loads tsx from this project, then runs the TypeScript CLI,
// so that it works from any directory (`npm link`, `npx tokenlimit`).
import { register } from "tsx/esm/api";

register();
await import("./cli.ts");
