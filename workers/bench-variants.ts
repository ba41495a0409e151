/**
 * Variants of MobileNetV3-S for the peer-engine benchmark's breakdown (docs/performance.md): the same weights with
 * one kind of layer swapped out, built by both engines (the app's tfjs builder in workers/bench-member.ts, the ONNX
 * export in scripts/lib/peer-onnx.ts), so the time each engine spends on that kind of layer shows as a difference.
 * Not the shipped network: their features are not compared.
 */
import type { MobileNetV3Config } from './models/mobilenetv3-small.ts';

export type PeerVariant = 'shipped' | 'relu-for-hardswish' | 'no-squeeze-excite';

export const PEER_VARIANTS: Record<PeerVariant, string> = {
  shipped: 'the shipped network',
  'relu-for-hardswish': 'ReLU wherever the network has hard-swish (both engines fuse ReLU into the conv)',
  'no-squeeze-excite': 'without the squeeze-excite blocks (pool, two 1×1 convs, hard-sigmoid, multiply)',
};

export function isPeerVariant(v: unknown): v is PeerVariant {
  return typeof v === 'string' && v in PEER_VARIANTS;
}

export function variantConfig(config: MobileNetV3Config, variant: PeerVariant): MobileNetV3Config {
  if (variant === 'shipped') return config;
  if (variant === 'no-squeeze-excite') return { ...config, blocks: config.blocks.map((b) => ({ ...b, seChannels: 0 })) };
  return {
    ...config,
    stem: { ...config.stem, activation: 'relu' },
    blocks: config.blocks.map((b) => ({ ...b, activation: 'relu' })),
    lastConv: { ...config.lastConv, activation: 'relu' },
  };
}
