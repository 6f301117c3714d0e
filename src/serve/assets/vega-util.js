// vega-interpreter imports these from vega-util by bare name; the vega bundle already carries them on its global.
const {vega} = globalThis;
export const ascending = vega.ascending;
export const isString = vega.isString;
export const DisallowedObjectProperties = vega.DisallowedObjectProperties;
