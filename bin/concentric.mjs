#!/usr/bin/env node
// The `concentric` command (package.json bin). The CLI is TypeScript run through tsx's loader,
// so it works the same in a checkout (npx concentric) and in a project that installs this
// package. Needs Node >= 22.13 (package.json engines).
import { register } from "tsx/esm/api";

const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 13)) {
  console.error(
    `concentric needs Node >= 22.13, this is ${process.version} (npm i -D node@24 puts one in node_modules/.bin)`,
  );
  process.exit(2);
}
register();
await import("../scripts/cli.ts");
