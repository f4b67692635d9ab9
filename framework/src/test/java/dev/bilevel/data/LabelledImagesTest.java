package dev.bilevel.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

class LabelledImagesTest {

  /** Three RGB images of 1×2: pixel j of image i is 10*i + j, except image 2 which is all 255. */
  private static LabelledImages rgb() {
    byte[] p = new byte[3 * 6];
    for (int i = 0; i < 2; i++) {
      for (int j = 0; j < 6; j++) {
        p[i * 6 + j] = (byte) (10 * i + j);
      }
    }
    java.util.Arrays.fill(p, 12, 18, (byte) 255);
    return LabelledImages.of(p, new int[] {2, 0, 2}, 4, new ImageShape(3, 1, 2));
  }

  @Test
  void featuresAreScaledToUnitRangeInTheRequestedType() {
    INDArray d = rgb().features(DataType.DOUBLE);
    INDArray f = rgb().features(DataType.FLOAT);

    assertThat(d.dataType()).isEqualTo(DataType.DOUBLE);
    assertThat(f.dataType()).isEqualTo(DataType.FLOAT);
    assertThat(d.shape()).containsExactly(3, 6);
    assertThat(d.getDouble(1, 4)).isEqualTo(14 / 255.0);
    assertThat(f.getFloat(1, 4)).isEqualTo((float) (14 / 255.0));
    assertThat(d.getDouble(2, 5)).isEqualTo(1.0);
    assertThat(d.getDouble(0, 0)).isEqualTo(0.0);
  }

  @Test
  void imagesAreChannelsFirst() {
    INDArray im = rgb().images(DataType.DOUBLE);
    assertThat(im.shape()).containsExactly(3, 3, 1, 2);
    // Image 1, channel 2 (blue), column 1 is flat position 2*2 + 1 = 5.
    assertThat(im.getDouble(1, 2, 0, 1)).isEqualTo(15 / 255.0);
  }

  @Test
  void oneHotHasOneOnePerRow() {
    INDArray y = rgb().toOneHot(DataType.FLOAT);
    assertThat(y.shape()).containsExactly(3, 4);
    assertThat(y.toFloatMatrix()).isDeepEqualTo(new float[][] {{0, 0, 1, 0}, {1, 0, 0, 0}, {0, 0, 1, 0}});
  }

  @Test
  void otherTypesAreRefused() {
    assertThatThrownBy(() -> rgb().features(DataType.INT32))
        .hasMessage("images and one-hot labels are FLOAT or DOUBLE, not INT");
  }

  @Test
  void subsetKeepsOrderAndAllowsRepeats() {
    LabelledImages s = rgb().subset(new int[] {2, 1, 1});
    assertThat(s.labels()).containsExactly(2, 0, 0);
    assertThat(s.pixel(0, 3)).isEqualTo(255);
    assertThat(s.pixel(2, 3)).isEqualTo(13);
    assertThatThrownBy(() -> rgb().subset(new int[] {0, 3}))
        .hasMessage("subset index 3 at position 1 is outside 0..2");
  }

  @Test
  void withLabelsReplacesLabelsOnly() {
    LabelledImages original = rgb();
    LabelledImages noisy = original.withLabels(new int[] {3, 3, 1});
    assertThat(noisy.labels()).containsExactly(3, 3, 1);
    assertThat(original.labels()).containsExactly(2, 0, 2);
    assertThat(noisy.pixel(1, 2)).isEqualTo(12);
    assertThatThrownBy(() -> original.withLabels(new int[] {0, 4, 0}))
        .hasMessage("label 4 at index 1 is outside 0..3");
  }

  @Test
  void inputArraysAreCopied() {
    byte[] p = {1, 2};
    int[] l = {0, 1};
    LabelledImages d = LabelledImages.of(p, l, 2, ImageShape.grey(1, 1));
    p[0] = 99;
    l[0] = 1;
    d.labels()[1] = 0;
    assertThat(d.pixel(0, 0)).isEqualTo(1);
    assertThat(d.labels()).containsExactly(0, 1);
  }

  @Test
  void channelStatisticsAndNormalisation() {
    // Grey, 2 images of 1×2 with values 0, 255, 255, 255: mean 0.75, std sqrt(0.75 - 0.5625).
    LabelledImages d = LabelledImages.of(new byte[] {0, (byte) 255, (byte) 255, (byte) 255},
        new int[] {0, 1}, 2, ImageShape.grey(1, 2));
    double mean = d.channelMeans()[0];
    double std = d.channelStds()[0];
    assertThat(mean).isCloseTo(0.75, within(1e-12));
    assertThat(std).isCloseTo(Math.sqrt(0.1875), within(1e-12));

    LabelledImages n = d.normalised(new double[] {mean}, new double[] {std});
    INDArray x = n.features(DataType.DOUBLE);
    assertThat(n.isNormalised()).isTrue();
    assertThat(x.getDouble(0, 0)).isCloseTo((0 - 0.75) / std, within(1e-12));
    assertThat(x.getDouble(0, 1)).isCloseTo((1 - 0.75) / std, within(1e-12));
    assertThat(x.meanNumber().doubleValue()).isCloseTo(0.0, within(1e-12));
    assertThat(n.subset(new int[] {0}).isNormalised()).isTrue();
    assertThat(n.unnormalised().features(DataType.DOUBLE).getDouble(0, 1)).isEqualTo(1.0);
    // Statistics stay those of the [0, 1] pixels, so train statistics can be passed to test data.
    assertThat(n.channelMeans()[0]).isCloseTo(0.75, within(1e-12));
  }

  @Test
  void normalisationIsPerChannel() {
    LabelledImages n = rgb().normalised(new double[] {0, 0.5, 1}, new double[] {1, 2, 0.5});
    INDArray x = n.images(DataType.DOUBLE);
    assertThat(x.getDouble(1, 0, 0, 1)).isCloseTo(11 / 255.0, within(1e-12));
    assertThat(x.getDouble(1, 1, 0, 1)).isCloseTo((13 / 255.0 - 0.5) / 2, within(1e-12));
    assertThat(x.getDouble(1, 2, 0, 1)).isCloseTo((15 / 255.0 - 1) / 0.5, within(1e-12));
    assertThatThrownBy(() -> rgb().normalised(new double[] {0, 0, 0}, new double[] {1, 0, 1}))
        .hasMessage("channel 1: mean must be finite and std finite and positive, got mean 0.0, std 0.0");
  }

  @Test
  void factoryValidates() {
    assertThatThrownBy(() -> LabelledImages.of(new byte[5], new int[] {0, 0}, 2, ImageShape.grey(1, 2)))
        .hasMessage("2 labels need 4 pixels of shape 1×1×2, got 5");
    assertThatThrownBy(() -> LabelledImages.of(new byte[2], new int[] {0, -1}, 2, ImageShape.grey(1, 1)))
        .hasMessage("label -1 at index 1 is outside 0..1");
  }

  @Test
  void classCounts() {
    assertThat(rgb().classCounts()).containsExactly(1, 0, 2, 0);
  }
}
