package dev.bilevel.graph;

import dev.bilevel.dsl.GroupSpec;
import dev.bilevel.dsl.ParamSpec;
import dev.bilevel.dsl.Role;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * How the parameters of one level are laid out in a flat vector: each parameter occupies a
 * contiguous slice, groups in declaration order. Estimators and optimizers work on flat vectors.
 */
public final class ParameterLayout {

  /**
   * One parameter's place in the flat vector.
   *
   * @param group group name
   * @param param parameter name within the group
   * @param spec its specification
   * @param offset first index in the flat vector
   * @param length number of elements
   */
  public record Entry(String group, String param, ParamSpec spec, long offset, long length) {
    /** The SameDiff variable name. */
    public String variableName() {
      return group + "." + param;
    }
  }

  private final Role role;
  private final List<Entry> entries;
  private final long size;
  private final DataType dtype;

  /** The layout of the given groups' parameters, in order. */
  public static ParameterLayout of(Role role, List<GroupSpec> groups, DataType dtype) {
    return new ParameterLayout(role, groups, dtype);
  }

  ParameterLayout(Role role, List<GroupSpec> groups, DataType dtype) {
    this.role = role;
    this.dtype = dtype;
    List<Entry> es = new ArrayList<>();
    long off = 0;
    for (GroupSpec g : groups) {
      for (ParamSpec p : g.params()) {
        es.add(new Entry(g.name(), p.name(), p, off, p.length()));
        off += p.length();
      }
    }
    this.entries = List.copyOf(es);
    this.size = off;
  }

  public Role role() {
    return role;
  }

  public List<Entry> entries() {
    return entries;
  }

  /** Total number of scalars. */
  public long size() {
    return size;
  }

  public DataType dtype() {
    return dtype;
  }

  /** The group names, in layout order. */
  public List<String> groups() {
    return entries.stream().map(Entry::group).distinct().toList();
  }

  /** A zero vector of this layout. */
  public INDArray zeros() {
    return Nd4j.zeros(dtype, size);
  }

  /** A view of one entry's slice of a flat vector. */
  public INDArray slice(INDArray flat, Entry e) {
    return flat.get(NDArrayIndex.interval(e.offset(), e.offset() + e.length()));
  }

  /** A 0/1 mask selecting the given groups (every group if the set is empty). */
  public INDArray mask(java.util.Set<String> groupNames) {
    INDArray m = zeros();
    for (Entry e : entries) {
      if (groupNames.isEmpty() || groupNames.contains(e.group())) {
        slice(m, e).assign(1.0);
      }
    }
    return m;
  }

  /** Initial values drawn from each parameter's initialiser with one seed. */
  public INDArray initialValues(long seed) {
    SplittableRandom root = new SplittableRandom(seed);
    INDArray flat = zeros();
    for (Entry e : entries) {
      // One independent stream per parameter, so adding a group does not shift the others.
      SplittableRandom r = new SplittableRandom(root.nextLong() ^ e.variableName().hashCode());
      double[] values = new double[Math.toIntExact(e.length())];
      e.spec().init().fill(values, e.spec().shape(), r);
      slice(flat, e).assign(Nd4j.createFromArray(values).castTo(dtype));
    }
    return flat;
  }
}
