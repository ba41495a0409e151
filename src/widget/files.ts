/**
 * File names of the widget build (vite.widget.config.ts) that code must know at run time:
 * the element finds its worker under the `base` attribute by this name.
 */
export const WIDGET_MODULE_FILE = 'lookalike-search.js';
export const WIDGET_WORKER_FILE = 'lookalike-search.worker.js';
/** The model files' folder, relative to the base. */
export const WIDGET_MODELS_DIR = 'models/';
