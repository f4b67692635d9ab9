/**
 * The artifacts of one experiment run: the run folder layout, the metrics log, provenance,
 * plots, the Markdown report and console progress.
 *
 * <p>Everything that ends up on disk is written so that a run killed at any moment leaves
 * either the old or the new version of a file, never a torn one ({@link
 * dev.bilevel.report.AtomicFiles}), and a resumed run produces the same files as an
 * uninterrupted one ({@link dev.bilevel.report.MetricsLog#truncateAfter(long)}).
 */
package dev.bilevel.report;
