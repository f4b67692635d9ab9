package dev.bilevel.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

class BatchesTest {

  /** N grey 2×2 images; every pixel of image i is i mod 256, label i mod 3, so rows identify examples. */
  private static LabelledImages data(int n) {
    byte[] p = new byte[n * 4];
    int[] l = new int[n];
    for (int i = 0; i < n; i++) {
      Arrays.fill(p, i * 4, i * 4 + 4, (byte) i);
      l[i] = i % 3;
    }
    return LabelledImages.of(p, l, 3, ImageShape.grey(2, 2));
  }

  private static Batches batches(int n, int size, long seed) {
    return Batches.of(data(n), size, seed).withIndices("idx");
  }

  private static long[] indices(Batch b) {
    return b.get("idx").toLongVector();
  }

  private static List<Long> epochIndices(Batches b, int epoch) {
    List<Long> all = new ArrayList<>();
    for (Batch batch : b.epoch(epoch)) {
      for (long i : indices(batch)) {
        all.add(i);
      }
    }
    return all;
  }

  @Test
  void everyExampleOnceEachEpochWithASmallerLastBatch() {
    Batches b = batches(10, 3, 7);
    assertThat(b.batchesPerEpoch()).isEqualTo(4);
    for (int epoch = 0; epoch < 3; epoch++) {
      List<Long> seen = epochIndices(b, epoch);
      assertThat(seen).containsExactlyInAnyOrderElementsOf(
          IntStream.range(0, 10).asLongStream().boxed().toList());
    }
    assertThat(b.batch(0, 3).size()).isEqualTo(1);
  }

  @Test
  void dropLastLeavesOutTheShortBatch() {
    Batches b = batches(10, 3, 7).dropLast(true);
    assertThat(b.batchesPerEpoch()).isEqualTo(3);
    List<Long> seen = epochIndices(b, 0);
    assertThat(seen).hasSize(9).doesNotHaveDuplicates();
    assertThatThrownBy(() -> b.batch(0, 3)).hasMessage("batch index 3 is outside 0..2");
    assertThatThrownBy(() -> batches(2, 3, 7).dropLast(true))
        .hasMessage("with dropLast, 2 examples make no batch of 3");
  }

  @Test
  void featuresAndLabelsMatchTheIndexedExamples() {
    Batches b = batches(50, 8, 1);
    Batch batch = b.batch(2, 3);
    INDArray x = batch.get("x");
    INDArray y = batch.get("y");
    long[] idx = indices(batch);
    assertThat(x.shape()).containsExactly(8, 4);
    assertThat(y.shape()).containsExactly(8, 3);
    assertThat(x.dataType()).isEqualTo(DataType.FLOAT);
    for (int r = 0; r < idx.length; r++) {
      assertThat(x.getFloat(r, 3)).isEqualTo((float) (idx[r] / 255.0));
      assertThat(y.getFloat(r, (int) (idx[r] % 3))).isEqualTo(1f);
      assertThat(y.getRow(r).sumNumber().floatValue()).isEqualTo(1f);
    }
  }

  @Test
  void namesLayoutAndTypeAreTheCallers() {
    Batch batch = Batches.of(data(5), 2, 0)
        .features("image", Batches.Layout.IMAGE)
        .labels("target")
        .dataType(DataType.DOUBLE)
        .batch(0, 0);
    assertThat(batch.values().keySet()).containsExactlyInAnyOrder("image", "target");
    assertThat(batch.get("image").shape()).containsExactly(2, 1, 2, 2);
    assertThat(batch.get("image").dataType()).isEqualTo(DataType.DOUBLE);
    assertThat(batch.get("target").dataType()).isEqualTo(DataType.DOUBLE);
    assertThatThrownBy(() -> Batches.of(data(5), 2, 0).labels("x"))
        .hasMessage("input names must differ: features 'x', labels 'x'");
  }

  @Test
  void sameSeedSameBatchesOtherSeedOtherOrder() {
    Batches a = batches(100, 10, 42);
    Batches again = batches(100, 10, 42);
    Batches other = batches(100, 10, 43);

    assertThat(epochIndices(again, 0)).isEqualTo(epochIndices(a, 0));
    assertThat(again.batch(1, 4).get("x")).isEqualTo(a.batch(1, 4).get("x"));
    assertThat(again.batch(1, 4).noiseSeed()).isEqualTo(a.batch(1, 4).noiseSeed());
    assertThat(epochIndices(other, 0)).isNotEqualTo(epochIndices(a, 0));
    assertThat(other.noiseSeed(0, 0)).isNotEqualTo(a.noiseSeed(0, 0));
    assertThat(epochIndices(a, 1)).isNotEqualTo(epochIndices(a, 0));
  }

  @Test
  void unshuffledVisitsInDataSetOrder() {
    Batches b = batches(7, 3, 5).shuffle(false);
    assertThat(epochIndices(b, 4)).containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L);
  }

  @Test
  void noiseSeedsAreDistinctPerBatch() {
    Batches b = batches(10, 3, 9);
    Set<Long> seeds = new HashSet<>();
    for (int epoch = 0; epoch < 200; epoch++) {
      for (int i = 0; i < b.batchesPerEpoch(); i++) {
        seeds.add(b.noiseSeed(epoch, i));
      }
    }
    assertThat(seeds).hasSize(200 * 4);
    assertThat(b.batch(3, 2).noiseSeed()).isEqualTo(b.noiseSeed(3, 2));
  }

  @Test
  void cursorCyclesThroughEpochs() {
    Batches b = batches(10, 4, 3);
    BatchCursor c = b.cursor(0, 0);
    List<Long> seen = new ArrayList<>();
    for (int k = 0; k < 3; k++) {
      for (long i : indices(c.next())) {
        seen.add(i);
      }
    }
    assertThat(c.epoch()).isEqualTo(1);
    assertThat(c.index()).isEqualTo(0);
    assertThat(seen).isEqualTo(epochIndices(b, 0));
    assertThat(indices(c.next())).containsExactly(indices(b.batch(1, 0)));
  }

  @Test
  void restartAtAPositionContinuesIdentically() {
    Batches b = batches(23, 5, 11);
    BatchCursor run = b.cursor(0, 0);
    for (int k = 0; k < 7; k++) {
      run.next();
    }
    // "Checkpoint" here, then resume from the saved position in a new source object.
    int epoch = run.epoch();
    int index = run.index();
    assertThat(epoch).isEqualTo(1);
    assertThat(index).isEqualTo(2);
    BatchCursor resumed = batches(23, 5, 11).cursor(epoch, index);
    for (int k = 0; k < 12; k++) {
      Batch expected = run.next();
      Batch actual = resumed.next();
      assertThat(actual.get("x")).isEqualTo(expected.get("x"));
      assertThat(actual.get("y")).isEqualTo(expected.get("y"));
      assertThat(indices(actual)).containsExactly(indices(expected));
      assertThat(actual.noiseSeed()).isEqualTo(expected.noiseSeed());
    }
  }

  @Test
  void rejectsBadPositions() {
    Batches b = batches(10, 3, 0);
    assertThatThrownBy(() -> b.cursor(-1, 0)).hasMessage("epoch must not be negative, got -1");
    assertThatThrownBy(() -> b.batch(0, 4)).hasMessage("batch index 4 is outside 0..3");
  }
}
