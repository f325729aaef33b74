// `node --import jacc/register app.ts`: installs the loader hooks that compile
// TypeScript and jacc's markers on the fly.
import { register } from "node:module";

register("./node-hooks.js", import.meta.url);
