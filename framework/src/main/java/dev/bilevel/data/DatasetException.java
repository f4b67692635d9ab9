package dev.bilevel.data;

/**
 * A data file is missing, corrupt, not what it claims to be, or does not match its known checksum.
 * Unchecked because nothing but a person can fix it; the message names the file, says what is wrong
 * and, for the data sets the project installs, gives the command that fixes it.
 */
public final class DatasetException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public DatasetException(String message) {
    super(message);
  }

  public DatasetException(String message, Throwable cause) {
    super(message, cause);
  }
}
