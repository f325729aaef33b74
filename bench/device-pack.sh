#!/bin/sh
# Packs what a GPU machine (the `device` tool) needs to run the built benchmarks into .gpu/
# (git-ignored via .git/info/exclude): node, dist/ and the runtime packages. Run `npm run build` first.
set -e
cd "$(dirname "$0")/.."
mkdir -p .gpu .gl
# node itself (the device image has none) and the Vulkan loader (README of the device tool)
[ -f .gpu/node.xz ] || xz -T2 -6 -c "$(command -v node)" > .gpu/node.xz
rm -f .gpu/jacc.tar.xz
tar --exclude='node_modules/webgpu/dist/win32*' --exclude='node_modules/webgpu/dist/darwin*' --exclude='node_modules/webgpu/dist/linux-arm64' \
  -cJf .gpu/jacc.tar.xz package.json dist node_modules/typescript/package.json node_modules/typescript/lib/typescript.js node_modules/typescript/lib/lib*.d.ts \
  node_modules/magic-string node_modules/@jridgewell/sourcemap-codec node_modules/webgpu
ls -la .gpu
