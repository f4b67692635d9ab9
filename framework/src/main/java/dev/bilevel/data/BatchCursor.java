package dev.bilevel.data;

import java.util.Iterator;

/**
 * An endless walk through the batches of a {@link Batches}, epoch after epoch. Its position, the
 * (epoch, index) of the batch {@link #next} returns, is what a checkpoint saves; {@link
 * Batches#cursor} at that position continues with exactly the same batches. Not thread-safe: it
 * keeps the current epoch's order so that each epoch is shuffled once.
 */
public final class BatchCursor implements Iterator<Batch> {

  private final Batches batches;
  private int epoch;
  private int index;
  private int[] order;

  BatchCursor(Batches batches, int epoch, int index) {
    this.batches = batches;
    this.epoch = epoch;
    this.index = index;
    this.order = batches.order(epoch);
  }

  /** Epoch of the batch {@link #next} returns. */
  public int epoch() {
    return epoch;
  }

  /** Index within its epoch of the batch {@link #next} returns. */
  public int index() {
    return index;
  }

  /** Always true: the cursor cycles through epochs without end. */
  @Override
  public boolean hasNext() {
    return true;
  }

  @Override
  public Batch next() {
    Batch batch = batches.build(order, epoch, index);
    index++;
    if (index == batches.batchesPerEpoch()) {
      if (epoch == Integer.MAX_VALUE) {
        throw new IllegalStateException("epoch counter overflow");
      }
      epoch++;
      index = 0;
      order = batches.order(epoch);
    }
    return batch;
  }
}
