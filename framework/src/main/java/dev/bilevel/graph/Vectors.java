package dev.bilevel.graph;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.Axpy;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The BLAS level-1 operations the estimators run on θ-sized vectors, in one place: in place,
 * without the temporaries that ND4J's arithmetic would allocate.
 */
public final class Vectors {
  private Vectors() {}

  /** y ← y + a·x, in place (x and y of the same length). */
  public static void axpy(double a, INDArray x, INDArray y) {
    Nd4j.getBlasWrapper().level1().axpy(x.length(), a, x, y);
  }

  /**
   * out ← a·x + y in one pass, by ND4J's Axpy op: the same sums as copying y into out and then
   * BLAS axpy, both fused multiply-adds on this build (VectorsTest), for one write of out instead
   * of two. x, y and out have the same length; out may not be x or y.
   */
  public static void axpyInto(double a, INDArray x, INDArray y, INDArray out) {
    Nd4j.exec(new Axpy(x, y, out, a));
  }

  /**
   * x ← a·x, in place, by BLAS scal: the same products as ND4J's {@code muli}, which with the
   * {@code addi} after it took 0.50 ms on the MWN MLP's 269,322 weights against 0.16 ms for scal
   * and axpy.
   */
  public static void scal(double a, INDArray x) {
    Nd4j.getBlasWrapper().level1().scal(x.length(), a, x);
  }

  /**
   * ‖v‖₂ by BLAS nrm2. ND4J 1.0.0-M2.1's {@code norm2Number} took 0.56 to 0.87 ms for the 269,322
   * weights of the MWN MLP, nrm2 0.08 ms (docs/performance.md, item 15); every finite-difference
   * product takes two.
   */
  public static double norm2(INDArray v) {
    return Nd4j.getBlasWrapper().nrm2(v.reshape(v.length()));
  }

  /** x·y by BLAS dot, without the θ-sized product that {@code x.mul(y).sumNumber()} allocates. */
  public static double dot(INDArray x, INDArray y) {
    return Nd4j.getBlasWrapper().dot(x.reshape(x.length()), y.reshape(y.length()));
  }
}
