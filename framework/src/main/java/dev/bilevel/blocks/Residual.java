package dev.bilevel.blocks;

import dev.bilevel.dsl.ParamSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * y = body(x) + shortcut(x), optionally followed by ReLU. An empty shortcut is the identity; a
 * non-empty one (say a 1×1 convolution) projects x when the body changes the shape.
 */
public record Residual(List<Block> body, List<Block> shortcut, boolean reluAfter) implements Block {

  public Residual {
    body = List.copyOf(body);
    shortcut = List.copyOf(shortcut);
    if (body.isEmpty()) {
      throw new IllegalArgumentException("residual: the body needs at least one block");
    }
  }

  @Override
  public String describe() {
    return "residual(" + body.stream().map(Block::describe).toList() + ")";
  }

  @Override
  public List<ParamSpec> params() {
    List<ParamSpec> p = new ArrayList<>();
    prefixed(p, "body", body);
    prefixed(p, "short", shortcut);
    return p;
  }

  private static void prefixed(List<ParamSpec> out, String part, List<Block> blocks) {
    for (int i = 0; i < blocks.size(); i++) {
      for (ParamSpec ps : blocks.get(i).params()) {
        out.add(new ParamSpec(part + i + "." + ps.name(), ps.shape(), ps.init()));
      }
    }
  }

  @Override
  public long[] outputShape(long[] in) {
    long[] b = chain(body, in);
    long[] sc = chain(shortcut, in);
    if (!compatible(b, sc)) {
      throw new IllegalArgumentException(describe() + ": the body gives shape " + Arrays.toString(b)
          + " but the shortcut gives " + Arrays.toString(sc)
          + "; add a projection shortcut or keep the body shape-preserving");
    }
    return b;
  }

  private static boolean compatible(long[] a, long[] b) {
    if (a.length != b.length) {
      return false;
    }
    for (int i = 0; i < a.length; i++) {
      if (a[i] != -1 && b[i] != -1 && a[i] != b[i]) {
        return false;
      }
    }
    return true;
  }

  private static long[] chain(List<Block> blocks, long[] in) {
    long[] s = in;
    for (Block b : blocks) {
      s = b.outputShape(s);
    }
    return s;
  }

  @Override
  public SDVariable apply(BlockScope s, SDVariable x) {
    SDVariable b = run(s, "body", body, x);
    SDVariable sc = run(s, "short", shortcut, x);
    SDVariable sum = b.add(s.name("sum"), sc);
    return reluAfter ? Activation.relu(s, sum) : sum;
  }

  private static SDVariable run(BlockScope outer, String part, List<Block> blocks, SDVariable x) {
    SDVariable h = x;
    long[] shape = outer.inputShape();
    for (int i = 0; i < blocks.size(); i++) {
      Block blk = blocks.get(i);
      String prefix = part + i + ".";
      long[] inShape = shape;
      BlockScope inner = new BlockScope() {
        @Override
        public SameDiff sd() {
          return outer.sd();
        }

        @Override
        public SDVariable param(String localName) {
          return outer.param(prefix + localName);
        }

        @Override
        public long[] inputShape() {
          return inShape.clone();
        }

        @Override
        public String name(String suffix) {
          return outer.name(prefix + suffix);
        }
      };
      h = blk.apply(inner, h);
      shape = blk.outputShape(shape);
    }
    return h;
  }
}
