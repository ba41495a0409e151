/**
 * `npm run models:onnx`: exports the shipped MobileNetV3-S to ONNX (.cache/peer/mnv3s.onnx) for the
 * peer-engine benchmark (`npm run bench -- --only peer`, which also exports it when it is missing or stale).
 * The app never loads it: it stays on tfjs.
 */
import { relative } from 'node:path';
import { writePeerOnnx } from '../lib/peer-onnx.ts';

const { path, bytes } = await writePeerOnnx();
console.log(`wrote ${relative(process.cwd(), path)} (${(bytes / 1e6).toFixed(2)} MB)`);
