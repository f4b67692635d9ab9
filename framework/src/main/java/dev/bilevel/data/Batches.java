package dev.bilevel.data;

import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Cuts a {@link LabelledImages} into mini-batches of {@link Batch}. Immutable: every option returns
 * a new instance, and batch {@code (epoch, index)} is a pure function of the data, the options and
 * the seed. That is what makes a run restartable at any batch and two runs with one seed identical:
 * the order of epoch e is drawn from its own generator seeded from (seed, e), and the batch's noise
 * seed is derived from (seed, e, index), distinct for every batch of one source.
 *
 * <p>Defaults: input {@code "x"} holds features flattened to [B, C·H·W], input {@code "y"} one-hot
 * labels [B, numClasses], FLOAT, shuffled every epoch, the last smaller batch kept.
 */
public final class Batches {

  /** How images are laid out in the features input. */
  public enum Layout {
    /** [B, C·H·W], for dense layers. */
    FLAT,
    /** [B, C, H, W], for convolutions. */
    IMAGE
  }

  private final LabelledImages data;
  private final int batchSize;
  private final long seed;
  private final String featuresName;
  private final Layout layout;
  private final String labelsName;
  private final String indicesName;
  private final DataType dataType;
  private final boolean shuffle;
  private final boolean dropLast;

  private Batches(
      LabelledImages data,
      int batchSize,
      long seed,
      String featuresName,
      Layout layout,
      String labelsName,
      String indicesName,
      DataType dataType,
      boolean shuffle,
      boolean dropLast) {
    if (featuresName.equals(labelsName)
        || featuresName.equals(indicesName)
        || labelsName.equals(indicesName)) {
      throw new IllegalArgumentException(
          "input names must differ: features '" + featuresName + "', labels '" + labelsName + "'"
              + (indicesName == null ? "" : ", indices '" + indicesName + "'"));
    }
    if (dataType != DataType.FLOAT && dataType != DataType.DOUBLE) {
      throw new IllegalArgumentException("batches are FLOAT or DOUBLE, not " + dataType);
    }
    if (dropLast && data.size() < batchSize) {
      throw new IllegalArgumentException(
          "with dropLast, " + data.size() + " examples make no batch of " + batchSize);
    }
    this.data = data;
    this.batchSize = batchSize;
    this.seed = seed;
    this.featuresName = featuresName;
    this.layout = layout;
    this.labelsName = labelsName;
    this.indicesName = indicesName;
    this.dataType = dataType;
    this.shuffle = shuffle;
    this.dropLast = dropLast;
  }

  /** Batches of {@code batchSize} examples drawn from {@code data}, shuffled from {@code seed}. */
  public static Batches of(LabelledImages data, int batchSize, long seed) {
    Objects.requireNonNull(data, "data");
    if (batchSize <= 0) {
      throw new IllegalArgumentException("batchSize must be positive, got " + batchSize);
    }
    if (data.size() == 0) {
      throw new IllegalArgumentException("cannot batch an empty data set");
    }
    return new Batches(data, batchSize, seed, "x", Layout.FLAT, "y", null, DataType.FLOAT, true, false);
  }

  /** Names the features input and chooses its layout. */
  public Batches features(String name, Layout newLayout) {
    return new Batches(data, batchSize, seed, checkName(name), Objects.requireNonNull(newLayout, "layout"),
        labelsName, indicesName, dataType, shuffle, dropLast);
  }

  /** Names the one-hot labels input. */
  public Batches labels(String name) {
    return new Batches(data, batchSize, seed, featuresName, layout, checkName(name), indicesName,
        dataType, shuffle, dropLast);
  }

  /**
   * Adds an input holding each example's row in the data set, INT64 [B]: for problems with one
   * hyperparameter per training example (example weights, learned soft labels).
   */
  public Batches withIndices(String name) {
    return new Batches(data, batchSize, seed, featuresName, layout, labelsName, checkName(name),
        dataType, shuffle, dropLast);
  }

  /** FLOAT (default) or DOUBLE, for features and labels. */
  public Batches dataType(DataType type) {
    return new Batches(data, batchSize, seed, featuresName, layout, labelsName, indicesName,
        Objects.requireNonNull(type, "type"), shuffle, dropLast);
  }

  /** Whether to visit examples in a fresh random order each epoch (default) or in data-set order. */
  public Batches shuffle(boolean on) {
    return new Batches(data, batchSize, seed, featuresName, layout, labelsName, indicesName,
        dataType, on, dropLast);
  }

  /** Whether to leave out the last batch of an epoch when it would be smaller than the others. */
  public Batches dropLast(boolean on) {
    return new Batches(data, batchSize, seed, featuresName, layout, labelsName, indicesName,
        dataType, shuffle, on);
  }

  public LabelledImages data() {
    return data;
  }

  public int batchSize() {
    return batchSize;
  }

  public long seed() {
    return seed;
  }

  public int batchesPerEpoch() {
    int n = data.size();
    return dropLast ? n / batchSize : (n + batchSize - 1) / batchSize;
  }

  /** The order in which epoch {@code epoch} visits the examples: a permutation of 0..N-1. */
  public int[] order(int epoch) {
    checkEpoch(epoch);
    int[] order = LabelledImages.identity(data.size());
    if (shuffle) {
      SplittableRandom random = new SplittableRandom(Seeds.shuffleSeed(seed, epoch));
      for (int i = order.length - 1; i > 0; i--) {
        int j = random.nextInt(i + 1);
        int t = order[i];
        order[i] = order[j];
        order[j] = t;
      }
    }
    return order;
  }

  /** The noise seed of batch {@code (epoch, index)}. */
  public long noiseSeed(int epoch, int index) {
    checkPosition(epoch, index);
    return Seeds.noiseSeed(seed, epoch, index);
  }

  /**
   * Batch {@code index} of epoch {@code epoch}, computed from scratch. Iterating with {@link
   * #cursor} is cheaper, as it shuffles once per epoch.
   */
  public Batch batch(int epoch, int index) {
    checkPosition(epoch, index);
    return build(order(epoch), epoch, index);
  }

  /** The batches of one epoch, in order. */
  public Iterable<Batch> epoch(int epoch) {
    checkEpoch(epoch);
    return () -> new Iterator<>() {
      private final int[] order = order(epoch);
      private int index;

      @Override
      public boolean hasNext() {
        return index < batchesPerEpoch();
      }

      @Override
      public Batch next() {
        if (!hasNext()) {
          throw new NoSuchElementException("epoch " + epoch + " has " + batchesPerEpoch() + " batches");
        }
        return build(order, epoch, index++);
      }
    };
  }

  /**
   * An endless stream of batches starting at {@code (epoch, index)}, moving on to the next epoch
   * after the last batch of each: for meta-batches, and for resuming a run where it stopped.
   */
  public BatchCursor cursor(int epoch, int index) {
    checkPosition(epoch, index);
    return new BatchCursor(this, epoch, index);
  }

  Batch build(int[] order, int epoch, int index) {
    int from = index * batchSize;
    int to = Math.min(from + batchSize, order.length);
    Map<String, INDArray> values = new HashMap<>();
    values.put(featuresName, data.gatherFeatures(order, from, to, dataType, layout == Layout.IMAGE));
    values.put(labelsName, data.gatherOneHot(order, from, to, dataType));
    if (indicesName != null) {
      long[] rows = new long[to - from];
      for (int i = from; i < to; i++) {
        rows[i - from] = order[i];
      }
      values.put(indicesName, Nd4j.createFromArray(rows));
    }
    return new Batch(values, Seeds.noiseSeed(seed, epoch, index));
  }

  void checkPosition(int epoch, int index) {
    checkEpoch(epoch);
    if (index < 0 || index >= batchesPerEpoch()) {
      throw new IndexOutOfBoundsException(
          "batch index " + index + " is outside 0.." + (batchesPerEpoch() - 1));
    }
  }

  private static void checkEpoch(int epoch) {
    if (epoch < 0) {
      throw new IllegalArgumentException("epoch must not be negative, got " + epoch);
    }
  }

  private static String checkName(String name) {
    Objects.requireNonNull(name, "name");
    if (name.isBlank()) {
      throw new IllegalArgumentException("input name must not be blank");
    }
    return name;
  }

  @Override
  public String toString() {
    return "Batches[" + data.size() + " examples, batch " + batchSize + ", seed " + seed + ", "
        + featuresName + " " + layout + ", " + labelsName + " one-hot"
        + (indicesName == null ? "" : ", " + indicesName + " indices") + ", " + dataType
        + (shuffle ? ", shuffled" : ", in order") + (dropLast ? ", drop last" : "") + "]";
  }
}
