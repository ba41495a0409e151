/** Activations shared by the networks built from code and the fine-tuned heads. Call inside tf.tidy. */
import * as tf from '@tensorflow/tfjs';

/** hard-swish: x · relu6(x + 3) / 6 (MobileNetV3). */
export function hardSwish<T extends tf.Tensor>(x: T): T {
  return tf.mul(x, hardSigmoid(x));
}

/** hard-sigmoid: relu6(x + 3) / 6. */
export function hardSigmoid<T extends tf.Tensor>(x: T): T {
  return tf.mul(tf.relu6(tf.add(x, 3)), 1 / 6);
}
