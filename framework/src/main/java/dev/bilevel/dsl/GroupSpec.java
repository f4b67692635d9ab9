package dev.bilevel.dsl;

import dev.bilevel.blocks.Block;
import java.util.ArrayList;
import java.util.List;

/**
 * A named group of parameters, either defined by a network of blocks (then it can be applied to an
 * input) or declared as raw tensors.
 *
 * @param name group name, unique across both levels
 * @param role inner (θ) or meta (λ)
 * @param blocks the network, empty for raw groups
 * @param rawParams raw parameters, empty for network groups
 */
public record GroupSpec(String name, Role role, List<Block> blocks, List<ParamSpec> rawParams) {

  public GroupSpec {
    blocks = List.copyOf(blocks);
    rawParams = List.copyOf(rawParams);
  }

  public boolean isNetwork() {
    return !blocks.isEmpty();
  }

  /** Every parameter of the group, network parameters prefixed by their block index ({@code 0.W}). */
  public List<ParamSpec> params() {
    if (!isNetwork()) {
      return rawParams;
    }
    List<ParamSpec> out = new ArrayList<>();
    for (int i = 0; i < blocks.size(); i++) {
      for (ParamSpec p : blocks.get(i).params()) {
        out.add(new ParamSpec(i + "." + p.name(), p.shape(), p.init()));
      }
    }
    return out;
  }

  public long length() {
    return params().stream().mapToLong(ParamSpec::length).sum();
  }
}
