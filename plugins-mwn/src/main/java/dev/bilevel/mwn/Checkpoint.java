package dev.bilevel.mwn;

import dev.bilevel.engine.RunState;
import dev.bilevel.optim.Optimizer;
import dev.bilevel.report.AtomicFiles;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The experiment's position, written atomically at the end of every epoch: how many (seed, method)
 * units are complete, the state of the current one after {@code epochsDone} epochs, and the number
 * of metric rows logged so far. Arrays are stored exactly, element by element with their dtype.
 */
record Checkpoint(int unitsDone, int epochsDone, long metricRows, RunState state) {
  private static final int MAGIC = 0x4D574E31; // "MWN1"

  void write(Path file) throws IOException {
    AtomicFiles.write(file, raw -> {
      DataOutputStream out = new DataOutputStream(new java.io.BufferedOutputStream(raw));
      out.writeInt(MAGIC);
      out.writeInt(unitsDone);
      out.writeInt(epochsDone);
      out.writeLong(metricRows);
      out.writeBoolean(state != null);
      if (state != null) {
        writeArray(out, state.theta());
        writeArray(out, state.lambda());
        writeSnapshot(out, state.inner());
        writeSnapshot(out, state.outer());
        out.writeLong(state.step());
        out.writeInt(state.epoch());
      }
      out.flush();
    });
  }

  static Checkpoint read(Path file) throws IOException {
    try (InputStream raw = Files.newInputStream(file);
        DataInputStream in = new DataInputStream(new BufferedInputStream(raw))) {
      if (in.readInt() != MAGIC) {
        throw new IOException(file + " is not a Meta-Weight-Net checkpoint");
      }
      int units = in.readInt();
      int epochs = in.readInt();
      long rows = in.readLong();
      RunState state = null;
      if (in.readBoolean()) {
        INDArray theta = readArray(in);
        INDArray lambda = readArray(in);
        Optimizer.Snapshot inner = readSnapshot(in);
        Optimizer.Snapshot outer = readSnapshot(in);
        state = new RunState(theta, lambda, inner, outer, in.readLong(), in.readInt());
      }
      return new Checkpoint(units, epochs, rows, state);
    }
  }

  private static void writeSnapshot(DataOutputStream out, Optimizer.Snapshot s) throws IOException {
    out.writeBoolean(s != null);
    if (s != null) {
      writeArray(out, s.state());
      out.writeInt(s.iteration());
      out.writeInt(s.epoch());
    }
  }

  private static Optimizer.Snapshot readSnapshot(DataInputStream in) throws IOException {
    if (!in.readBoolean()) {
      return null;
    }
    INDArray a = readArray(in);
    return new Optimizer.Snapshot(a, in.readInt(), in.readInt());
  }

  static void writeArray(DataOutputStream out, INDArray a) throws IOException {
    out.writeBoolean(a != null);
    if (a == null) {
      return;
    }
    out.writeUTF(a.dataType().name());
    long[] shape = a.shape();
    out.writeInt(shape.length);
    for (long d : shape) {
      out.writeLong(d);
    }
    double[] v = a.castTo(DataType.DOUBLE).reshape(a.length()).toDoubleVector();
    out.writeInt(v.length);
    for (double x : v) {
      out.writeDouble(x); // float → double is exact, so the round trip is too
    }
  }

  static INDArray readArray(DataInputStream in) throws IOException {
    if (!in.readBoolean()) {
      return null;
    }
    DataType type = DataType.valueOf(in.readUTF());
    long[] shape = new long[in.readInt()];
    for (int i = 0; i < shape.length; i++) {
      shape[i] = in.readLong();
    }
    double[] v = new double[in.readInt()];
    for (int i = 0; i < v.length; i++) {
      v[i] = in.readDouble();
    }
    return Nd4j.createFromArray(v).castTo(type).reshape(shape);
  }
}
