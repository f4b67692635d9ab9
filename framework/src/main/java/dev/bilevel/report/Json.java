package dev.bilevel.report;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * The one Jackson configuration used for every file this package writes, so that metrics and
 * provenance read back with the same types.
 *
 * <ul>
 *   <li>NaN and infinities are written as the bare tokens {@code NaN}, {@code Infinity},
 *       {@code -Infinity} (what Python's {@code json} module reads and writes) rather than as
 *       strings, so a diverged loss stays a number.
 *   <li>All JSON integers read back as {@link Long}, all other numbers as {@link Double}, so
 *       that a value has one Java type whatever its magnitude.
 * </ul>
 *
 * <p>A configured {@link ObjectMapper} is thread-safe and is not mutated after construction.
 */
final class Json {

  static final ObjectMapper MAPPER = JsonMapper.builder()
      .disable(JsonWriteFeature.WRITE_NAN_AS_STRINGS)
      .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
      .enable(DeserializationFeature.USE_LONG_FOR_INTS)
      .build();

  private Json() {}
}
