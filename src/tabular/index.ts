// polyhead/tabular: real tabular data in. CSV/TSV (streamed), Apache Arrow tables
// (duck-typed), row objects or column arrays, through fitted column specs, out as a
// DatasetSpec for MultiTaskDataset. No engine here: it only makes typed arrays.
/**
 * Tabular data in: CSV/TSV, Arrow tables, row objects; fitted column specs; out as a MultiTaskDataset spec.
 * Runnable example: [census.mjs](../../examples/census.mjs) (a census survey from CSV to two tasks and back).
 * @module polyhead/tabular
 */
export { parseCsv, readCsv, type CsvOptions, type CsvSource, type Table } from "./csv.js";
export { type ArrowLike, type TabularInput } from "./columns.js";
export {
  TabularSpec, type TabularOptions, type TabularSpecJSON, type ColumnSpec, type NumericColumn, type CategoricalColumn,
  type LabelSpec, type Scale, type LogTransform, type Transformed, type FittedFeature, type FittedNumeric, type FittedCategorical, type FittedLabel,
} from "./spec.js";
