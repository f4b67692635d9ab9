package dev.bilevel.report;

/** {@link Progress} that does nothing; stateless, so one instance serves every loop. */
enum NoopProgress implements Progress {
  INSTANCE;

  @Override
  public void step() {}

  @Override
  public void stepBy(long n) {}

  @Override
  public void setExtraMessage(String message) {}

  @Override
  public void close() {}
}
