package dev.bilevel.report;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * One row of the metrics log in the shape most experiments use: which run and method, where in
 * training, and named values. A typed record keeps the four bookkeeping columns first and
 * spelled the same in every experiment; {@link MetricsLog#append(Map)} takes free-form rows when
 * this shape does not fit.
 *
 * @param run run identifier, e.g. the experiment name or a seed label
 * @param method the method being trained, e.g. {@code mwn} or {@code baseline}
 * @param epoch the epoch, counting from 0 or 1 as the experiment chooses
 * @param step the global optimisation step
 * @param values named metrics in column order; NaN is allowed (a diverged loss is data)
 */
public record MetricRecord(
    String run, String method, int epoch, long step, Map<String, Double> values) {

  /** Column names that {@link #toRow()} uses for the bookkeeping fields. */
  public static final Set<String> RESERVED = Set.of("run", "method", "epoch", "step");

  /**
   * Validates and copies {@code values}, keeping its iteration order.
   *
   * @throws IllegalArgumentException if a value name is one of {@link #RESERVED}
   * @throws NullPointerException if any argument, value name or value is null
   */
  public MetricRecord {
    Objects.requireNonNull(run, "run");
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(values, "values");
    Map<String, Double> copy = new LinkedHashMap<>();
    values.forEach((name, value) -> {
      Objects.requireNonNull(name, "value name");
      Objects.requireNonNull(value, () -> "value of '" + name + "'");
      if (RESERVED.contains(name)) {
        throw new IllegalArgumentException("Metric name '" + name + "' is reserved for the"
            + " record's own field; rename the metric.");
      }
      copy.put(name, value);
    });
    values = Collections.unmodifiableMap(copy);
  }

  /** The row as logged: {@code run, method, epoch, step}, then the values in order. */
  public Map<String, Object> toRow() {
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("run", run);
    row.put("method", method);
    row.put("epoch", epoch);
    row.put("step", step);
    row.putAll(values);
    return row;
  }
}
