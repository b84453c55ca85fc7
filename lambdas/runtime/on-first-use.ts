// Things a Lambda builds once per execution environment, but only when an invocation first needs them: an SDK
// client and the adapter over it cost their module evaluation (the client package, @smithy/*, credential
// providers) at cold start if built at module scope, and most handlers reach them only after the first request
// has been read. The modules behind them are loaded with import(), which esbuild turns into lazily initialised
// parts of the one bundle: parsed with it, evaluated only when first called.

/** `load` run once, on the first call, and its promise shared; a failed load is forgotten, so the next call retries. */
export function onFirstUse<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () => {
    loaded ??= load().catch((err: unknown) => {
      loaded = undefined;
      throw err;
    });
    return loaded;
  };
}

/** The names of an adapter's methods, every one of them (the record type makes the compiler check that). */
export type MethodNames<T> = Record<keyof T & string, true>;

/**
 * An adapter that stands in for the one `open` builds on first use: each method opens it (once) and forwards the
 * call. Only for adapters whose methods all return promises (the ports of core/ports.ts, the sync queue).
 */
export function deferredAdapter<T extends object>(open: () => Promise<T>, methods: MethodNames<T>): T {
  const adapter: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const name of Object.keys(methods)) {
    adapter[name] = async (...args: unknown[]) => {
      const target = (await open()) as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
      return target[name]?.(...args);
    };
  }
  return adapter as unknown as T;
}
