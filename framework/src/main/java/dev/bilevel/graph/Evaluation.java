package dev.bilevel.graph;

import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The result of evaluating one objective: its value, the requested gradients as flat vectors laid
 * out like θ and λ (null when not requested), and any requested named outputs.
 */
public record Evaluation(double value, INDArray gradTheta, INDArray gradLambda,
    Map<String, INDArray> outputs) {}
