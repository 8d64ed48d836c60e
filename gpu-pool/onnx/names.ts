/** The one input and one output every exported model has (kept apart so workers need not load the exporter). */
export const INPUT = 'features';
export const OUTPUT = 'score';
