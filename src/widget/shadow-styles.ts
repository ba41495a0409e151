/**
 * The app's stylesheet, adapted to live inside the widget's shadow root: its `:root`
 * rule (colours, font) applies to the widget's own wrapper instead, and both the host
 * element and the wrapper are reset, so inherited host-page styles (fonts, colours,
 * text-transform, …) stop at the wrapper. Styles in a shadow root never match the page.
 */

/**
 * Every stylesheet of the page code, as text: styles.css first, then the ones components
 * import themselves (e.g. LocalIndexer's), which a standalone page would inject into <head>
 * where they could not reach the shadow root.
 */
const sheets = import.meta.glob<string>(['../**/*.css', '!../widget/**'], { query: '?inline', import: 'default', eager: true });
const appCss = Object.keys(sheets)
  .sort((a, b) => Number(b === '../styles.css') - Number(a === '../styles.css') || a.localeCompare(b))
  .map((path) => sheets[path])
  .join('\n');

/** Class of the element, inside the shadow root, that the app renders into. */
export const ROOT_CLASS = 'lookalike-root';

export const WIDGET_CSS = `
:host { all: initial; display: block; }
:host([hidden]) { display: none; }
.${ROOT_CLASS} { all: initial; display: block; font-size: 16px; text-align: start; }
${appCss.replace(/:root\b/g, `.${ROOT_CLASS}`)}
`;

let shared: CSSStyleSheet | undefined;

/** Adds the widget's styles to a shadow root: one constructable stylesheet shared by every instance, or a `<style>` where those are missing. */
export function adoptWidgetStyles(root: ShadowRoot): void {
  if ('adoptedStyleSheets' in root && typeof CSSStyleSheet.prototype.replaceSync === 'function') {
    if (!shared) {
      shared = new CSSStyleSheet();
      shared.replaceSync(WIDGET_CSS);
    }
    root.adoptedStyleSheets = [...root.adoptedStyleSheets, shared];
    return;
  }
  const style = document.createElement('style');
  style.textContent = WIDGET_CSS;
  root.append(style);
}
