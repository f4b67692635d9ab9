package dev.bilevel.quality;

import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.factory.DataBufferFactory;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Counts the bytes of the ND4J data buffers created while it is installed and still reachable. ND4J
 * allocates every buffer through its process-wide {@link DataBufferFactory}; installing swaps that
 * factory for a proxy that forwards every call and remembers each new buffer by a weak reference
 * and its size (views of an existing buffer are not new memory and are skipped). After a
 * collection the buffers nobody can reach any more have their references cleared, so the sum over
 * the others is the memory that is alive, exactly and independently of when the native memory is
 * actually returned. A measuring device for the quality report and the memory benchmark:
 * installing reaches into ND4J's private state, and {@link #close()} puts the original factory
 * back. Not reentrant: one tracker at a time; buffers other threads allocate meanwhile are counted
 * too, so measure with nothing else running on ND4J.
 */
final class BufferTracker implements AutoCloseable {
  private static final Field FACTORY = factoryField();
  private static final Object INSTALL_LOCK = new Object();
  private static boolean installed;

  private final DataBufferFactory original;
  private final ReferenceQueue<DataBuffer> queue = new ReferenceQueue<>();
  private final Map<Reference<? extends DataBuffer>, Long> sizes = new ConcurrentHashMap<>();
  private final AtomicLong live = new AtomicLong();

  private BufferTracker(DataBufferFactory original) {
    this.original = original;
  }

  private static Field factoryField() {
    try {
      Field f = Nd4j.class.getDeclaredField("DATA_BUFFER_FACTORY_INSTANCE");
      f.setAccessible(true);
      return f;
    } catch (ReflectiveOperationException | RuntimeException e) {
      throw new IllegalStateException("cannot reach ND4J's data-buffer factory to measure memory", e);
    }
  }

  /** Starts counting buffers created from now on. */
  static BufferTracker install() {
    synchronized (INSTALL_LOCK) {
      if (installed) {
        throw new IllegalStateException("a BufferTracker is already installed");
      }
      Nd4j.getDataBufferFactory();
      try {
        DataBufferFactory original = (DataBufferFactory) FACTORY.get(null);
        BufferTracker t = new BufferTracker(original);
        FACTORY.set(null, t.proxy());
        installed = true;
        return t;
      } catch (IllegalAccessException e) {
        throw new IllegalStateException("cannot replace ND4J's data-buffer factory", e);
      }
    }
  }

  private DataBufferFactory proxy() {
    return (DataBufferFactory) Proxy.newProxyInstance(DataBufferFactory.class.getClassLoader(),
        new Class<?>[] {DataBufferFactory.class}, (p, method, args) -> {
          Object result;
          try {
            result = method.invoke(original, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
          if (result instanceof DataBuffer b && !isView(method.getName(), args)) {
            long bytes = b.length() * b.getElementSize();
            sizes.put(new WeakReference<>(b, queue), bytes);
            live.addAndGet(bytes);
          }
          return result;
        });
  }

  /** create(DataBuffer underlying, offset, length) and the like: a window on existing memory. */
  private static boolean isView(String name, Object[] args) {
    if (args == null || !name.equals("create")) {
      return false;
    }
    for (Object a : args) {
      if (a instanceof DataBuffer) {
        return true;
      }
    }
    return false;
  }

  /** Bytes of the tracked buffers still reachable, after a collection. */
  long liveBytes() {
    System.gc();
    // A full collection clears the weak references of unreachable buffers at once; enqueueing
    // them is left to the reference handler thread, which lags behind on a loaded machine, so
    // ask each reference rather than wait on the queue.
    for (Reference<? extends DataBuffer> r : List.copyOf(sizes.keySet())) {
      if (r.refersTo(null)) {
        release(r);
      }
    }
    Reference<? extends DataBuffer> r;
    while ((r = queue.poll()) != null) {
      release(r);
    }
    return live.get();
  }

  private void release(Reference<? extends DataBuffer> r) {
    Long bytes = sizes.remove(r);
    if (bytes != null) {
      live.addAndGet(-bytes);
    }
  }

  @Override
  public void close() {
    synchronized (INSTALL_LOCK) {
      try {
        FACTORY.set(null, original);
      } catch (IllegalAccessException e) {
        throw new IllegalStateException("cannot restore ND4J's data-buffer factory", e);
      } finally {
        installed = false;
      }
    }
  }
}
