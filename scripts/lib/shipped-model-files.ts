/**
 * Which files under model-artifacts/ the app is served and the builds copy: not the model card and measurement
 * files (metrics, quantisation, the held-out product list the eval CLI reads), and not the training outputs the
 * app never loads (model-artifacts/training/, e.g. the fine-tuned tensors that `npm run models:build` converts
 * into the shipped network).
 */
export const isShippedModelFile = (file: string): boolean => !file.endsWith('.md') && !file.endsWith('.csv') && !/(metrics|quantisation)\.json$/.test(file) && !/[\\/]model-artifacts[\\/]training[\\/]/.test(file);
