package dev.bilevel.backend;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.bytedeco.javacpp.Loader;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Runs in a fresh child JVM for {@link Nd4jBackendForkedTest}: starts the backend as told and
 * prints {@code key=value} lines (the info, plus results of small computations).
 *
 * <p>Arguments: the {@link NativeBuild} name, then any of {@code --init-first} (touch ND4J before
 * {@code start}), {@code --stale-javacpp} (make JavaCPP cache its properties before {@code start}),
 * {@code --loud} (quiet=false), {@code --compute} (matmul and a gradient, checked against plain
 * Java), {@code --grad} (build a SameDiff gradient, to observe stdout chatter).
 */
public final class BackendProbeMain {

  private BackendProbeMain() {}

  public static void main(String[] args) {
    List<String> flags = Arrays.asList(args).subList(1, args.length);
    if (flags.contains("--init-first")) {
      Nd4j.create(DataType.FLOAT, 2, 2);
    }
    if (flags.contains("--stale-javacpp")) {
      Loader.loadProperties();
    }
    BackendOptions options =
        BackendOptions.builder()
            .nativeBuild(NativeBuild.valueOf(args[0]))
            .threads(1)
            .quiet(!flags.contains("--loud"))
            .build();
    Nd4jBackend backend = Nd4jBackend.start(options);
    backend.info().asMap().forEach((k, v) -> System.out.println("info." + k + "=" + v));
    if (flags.contains("--compute")) {
      System.out.println("matmul.maxAbsErr=" + matmulError());
      System.out.println("grad.maxAbsErr=" + gradientError());
    }
    if (flags.contains("--grad")) {
      gradientError();
    }
    System.out.println("done=true");
  }

  /** Max |ND4J - plain Java| over a 67x45 @ 45x31 FP64 product of random numbers. */
  static double matmulError() {
    int m = 67;
    int k = 45;
    int n = 31;
    Random rnd = new Random(1);
    double[][] a = new double[m][k];
    double[][] b = new double[k][n];
    for (double[] row : a) {
      for (int j = 0; j < k; j++) {
        row[j] = rnd.nextGaussian();
      }
    }
    for (double[] row : b) {
      for (int j = 0; j < n; j++) {
        row[j] = rnd.nextGaussian();
      }
    }
    INDArray c = Nd4j.createFromArray(a).mmul(Nd4j.createFromArray(b));
    double err = 0;
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        double s = 0;
        for (int t = 0; t < k; t++) {
          s += a[i][t] * b[t][j];
        }
        err = Math.max(err, Math.abs(s - c.getDouble(i, j)));
      }
    }
    return err;
  }

  /**
   * Max error of SameDiff's gradient of {@code sum(relu(x W))} w.r.t. W (FP64) against the
   * closed form {@code x^T [xW > 0]}.
   */
  static double gradientError() {
    Random rnd = new Random(2);
    double[][] x = new double[5][4];
    double[][] w = new double[4][3];
    for (double[] row : x) {
      for (int j = 0; j < row.length; j++) {
        row[j] = rnd.nextGaussian();
      }
    }
    for (double[] row : w) {
      for (int j = 0; j < row.length; j++) {
        row[j] = rnd.nextGaussian();
      }
    }
    SameDiff sd = SameDiff.create();
    SDVariable xv = sd.placeHolder("x", DataType.DOUBLE, -1, 4);
    SDVariable wv = sd.var("w", Nd4j.createFromArray(w));
    sd.nn().relu(xv.mmul(wv), 0).sum("loss");
    sd.setLossVariables("loss");
    Map<String, INDArray> feed = new HashMap<>();
    feed.put("x", Nd4j.createFromArray(x));
    INDArray g = sd.calculateGradients(feed, "w").get("w");
    double err = 0;
    for (int i = 0; i < 4; i++) {
      for (int j = 0; j < 3; j++) {
        double expected = 0;
        for (int r = 0; r < 5; r++) {
          double pre = 0;
          for (int t = 0; t < 4; t++) {
            pre += x[r][t] * w[t][j];
          }
          expected += pre > 0 ? x[r][i] : 0;
        }
        err = Math.max(err, Math.abs(expected - g.getDouble(i, j)));
      }
    }
    return err;
  }
}
