// Vega-Lite specs from the server (the report's own), drawn by vega-embed. Expressions go through
// vega-interpreter, so the page's Content-Security-Policy needs neither 'unsafe-eval' nor inline styles.
import {expressionInterpreter} from '/vendor/vega-interpreter.js';

const options = {
	ast: true,
	expr: expressionInterpreter,
	actions: false,
	// Canvas: thousands of marks draw faster than as SVG elements.
	renderer: 'canvas',
	defaultStyle: false,
	tooltip: {disableDefaultStyle: true},
};

/** Draw `spec` into `element`; resolves with the Vega view (to insert data into later). */
export async function chart(element, spec) {
	const {view} = await globalThis.vegaEmbed(element, spec, options);
	return view;
}

/** Replace every tuple of the named data set; the view resizes to fit new legend entries. */
export async function replaceData(view, name, rows) {
	await view.change(name, globalThis.vega.changeset().remove(() => true).insert(rows)).resize().runAsync();
}
